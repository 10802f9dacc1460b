-- All-venue liquidations per asset and hour with their trailing 24 h picture, one row per (asset, hour_at)
-- for every hour of int_price_spine (hours without events are zeros, so "the last 24 hours" are 24 rows).
-- Answers: how much was liquidated this hour and over the last 24 h, longs vs shorts, and is this hour a
-- cascade (hourly liquidated USD >= var liq_cascade_multiple x the hourly average of the previous 24 h).
-- Why: the average excludes the hour itself (a spike must not dilute its own baseline) and needs 24 full
-- previous hours (the first day of history has no baseline, so it cannot flag cascades). Incremental: a
-- run reads 24 h before its window for the trailing sums and writes only the hours its window touches.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['asset', 'hour_at'],
        on_schema_change='fail',
        pre_hook=[
            "{{ delete_window_rows('hour_at') }}",
        ],
    )
}}

with spine as (
    select asset, hour_at, close
    from {{ ref('int_price_spine') }}
    {% if is_incremental() %}
    where {{ liq_hours_since_window('hour_at', 24) }}
    {% endif %}
),

venue_hours as (
    select
        asset,
        hour_at,
        sum(long_usd) as long_usd,
        sum(short_usd) as short_usd,
        sum(total_usd) as total_usd,
        sum(events) as events,
        count(*) as exchanges_with_events
    from {{ ref('fct_liquidations_hourly') }}
    {% if is_incremental() %}
    where {{ liq_hours_since_window('hour_at', 24) }}
    {% endif %}
    group by asset, hour_at
),

hours as (
    select
        s.asset,
        s.hour_at,
        s.close,
        coalesce(v.long_usd, 0) as long_usd,
        coalesce(v.short_usd, 0) as short_usd,
        coalesce(v.total_usd, 0) as total_usd,
        cast(coalesce(v.events, 0) as integer) as events,
        cast(coalesce(v.exchanges_with_events, 0) as integer) as exchanges_with_events
    from spine as s
    left join venue_hours as v using (asset, hour_at)
),

trailing_24h as (
    select
        *,
        sum(long_usd) over last_24h as long_usd_24h,
        sum(short_usd) over last_24h as short_usd_24h,
        sum(total_usd) over last_24h as total_usd_24h,
        avg(total_usd) over previous_24h as avg_hourly_usd_prev_24h,
        count(*) over previous_24h as previous_hours
    from hours
    window
        last_24h as (partition by asset order by hour_at range between interval 23 hours preceding and current row),
        previous_24h as (
            partition by asset order by hour_at
            range between interval 24 hours preceding and interval 1 hour preceding
        )
),

flagged as (
    select
        *,
        case when previous_hours = 24 then avg_hourly_usd_prev_24h end as baseline_usd,
        coalesce(
            previous_hours = 24
            and avg_hourly_usd_prev_24h > 0
            and total_usd >= {{ var('liq_cascade_multiple') }} * avg_hourly_usd_prev_24h,
            false
        ) as is_cascade
    from trailing_24h
)

select
    asset,
    hour_at,
    close,
    long_usd,
    short_usd,
    total_usd,
    events,
    exchanges_with_events,
    long_usd_24h,
    short_usd_24h,
    total_usd_24h,
    long_usd_24h / nullif(short_usd_24h, 0) as long_short_ratio_24h,
    baseline_usd as avg_hourly_usd_prev_24h,
    total_usd / nullif(baseline_usd, 0) as total_usd_vs_avg_24h,
    is_cascade,
    case when is_cascade then (case when long_usd >= short_usd then 'long' else 'short' end) end as cascade_side
from flagged
{% if is_incremental() %}
where {{ liq_hours_in_window('hour_at') }}
{% endif %}
