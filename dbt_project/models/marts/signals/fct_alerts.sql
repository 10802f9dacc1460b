-- Fired alerts, one row per alert_id: each alert fires once per episode, not every run. An episode is a run
-- of hours in which the alert's condition holds; it ends when the condition has been false for
-- alert_rearm_hours consecutive hours, so a rate hovering around its threshold does not re-fire every hour.
-- alert_id is a hash of (type, asset, exchange, first hour): re-runs and backfills give the same ids, which is
-- what lets the delivery sensor send each alert exactly once.
with diverging as (
    -- Price and OI moving opposite ways over 72 h. The 72 h window (not 24 h) because a multi-day divergence
    -- carries daily noise: a day of flat price would otherwise break the run.
    select
        asset,
        hour_at,
        coalesce(sign(price_change_72h) * sign(oi_change_72h) = -1, false) as is_diverging,
        epoch(hour_at) // 3600 as hour_no
    from {{ ref('fct_market_state') }}
),

divergence_runs as (
    select
        asset,
        hour_at,
        row_number() over (partition by asset, island order by hour_at) as divergence_hours
    from (
        select *, hour_no - row_number() over (partition by asset order by hour_at) as island
        from diverging
        where is_diverging
    )
),

conditions as (
    -- Funding beyond +-0.05 % per 8 h on a venue (the venue's primary perpetual).
    select
        'funding_extreme' as alert_type,
        asset,
        exchange,
        hour_at,
        funding_rate_8h as value,
        {{ var('alert_funding_8h') }} as threshold
    from {{ ref('fct_funding_hourly') }}
    where abs(funding_rate_8h) >= {{ var('alert_funding_8h') }}

    union all
    -- Open interest up more than 10 % in 24 h (all venues).
    select 'oi_surge', asset, null, hour_at, oi_change_24h, {{ var('alert_oi_change_24h') }}
    from {{ ref('fct_open_interest_signals') }}
    where oi_change_24h > {{ var('alert_oi_change_24h') }}

    union all
    -- OI and price moving in opposite directions for more than 48 hours (see divergence_runs).
    select 'oi_price_divergence', asset, null, hour_at, divergence_hours, {{ var('alert_divergence_hours') }}
    from divergence_runs
    where divergence_hours > {{ var('alert_divergence_hours') }}

    union all
    -- Price within 2 % of a HIGH DENSITY / CRITICAL estimated liquidation level.
    select
        'dense_level_proximity',
        asset,
        null,
        hour_at,
        least(nearest_dense_long_distance, nearest_dense_short_distance),
        {{ var('alert_level_proximity') }}
    from {{ ref('fct_market_state') }}
    where least(nearest_dense_long_distance, nearest_dense_short_distance) <= {{ var('alert_level_proximity') }}

    union all
    -- Cross-venue funding spread (max - min per 8 h) above 0.03 %.
    select 'funding_spread', asset, null, hour_at, cross_venue_spread_8h, {{ var('alert_spread_8h') }}
    from {{ ref('fct_funding_signals') }}
    where cross_venue_spread_8h > {{ var('alert_spread_8h') }}
),

gaps as (
    select
        *,
        epoch(hour_at - lag(hour_at) over w) / 3600 as hours_since_previous
    from conditions
    window w as (partition by alert_type, asset, exchange order by hour_at)
),

episodes as (
    select
        *,
        sum(case when hours_since_previous is null or hours_since_previous > {{ var('alert_rearm_hours') }}
            then 1 else 0 end) over (
            partition by alert_type, asset, exchange order by hour_at rows unbounded preceding
        ) as episode_number
    from gaps
),

summarised as (
    select
        alert_type,
        asset,
        exchange,
        episode_number,
        min(hour_at) as fired_at,
        max(hour_at) as last_seen_at,
        count(*) as hours_active,
        arg_min(value, hour_at) as value_at_fire,
        arg_max(value, abs(value)) as peak_value,
        cast(any_value(threshold) as double) as threshold
    from episodes
    group by alert_type, asset, exchange, episode_number
),

latest as (
    select max(hour_at) as latest_hour from {{ ref('int_price_spine') }}
)

select
    md5(concat_ws('|', alert_type, asset, coalesce(exchange, ''), strftime(fired_at, '%Y-%m-%dT%H:%M:%SZ')))
        as alert_id,
    alert_type,
    asset,
    exchange,
    fired_at,
    last_seen_at,
    cast(hours_active as integer) as hours_active,
    value_at_fire,
    peak_value,
    threshold,
    last_seen_at >= (select latest_hour from latest) as is_ongoing,
    case alert_type
        when 'funding_extreme' then printf(
            '%s funding %+.4f%% per 8h on %s (beyond +-%.2f%%)', asset, value_at_fire * 100, exchange, threshold * 100)
        when 'oi_surge' then printf(
            '%s open interest up %.1f%% in 24h (above %.0f%%)', asset, value_at_fire * 100, threshold * 100)
        when 'oi_price_divergence' then printf(
            '%s OI and price diverging for %.0f hours (over %.0f h)', asset, value_at_fire, threshold)
        when 'dense_level_proximity' then printf(
            '%s price within %.1f%% of a dense liquidation level (alert at %.0f%%)',
            asset, value_at_fire * 100, threshold * 100)
        when 'funding_spread' then printf(
            '%s cross-venue funding spread %.4f%% per 8h (above %.2f%%)', asset, value_at_fire * 100, threshold * 100)
    end as message
from summarised
