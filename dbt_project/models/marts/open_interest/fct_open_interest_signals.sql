-- Open-interest signals per asset and hour, one row per (asset, hour_at) with OI on any venue
-- (SPEC section 4 "Open interest"). OI is summed over all venues and contracts; every change is like for
-- like (only contracts observed at both ends, per contract and hour as in fct_open_interest_hourly), so a
-- venue or contract that starts being observed is not a spike. Price is the cross-venue close of
-- int_price_spine.
--  * quadrant from the signs of the 24 h price and OI changes: up/up 'new_longs' (bullish continuation),
--    up/down 'short_covering', down/up 'new_shorts' (bearish continuation), down/down 'long_capitulation';
--    null when either did not move or is unknown.
--  * spike_flag: oi_change_24h >= oi_spike_change_24h, or oi_change_24h >= oi_spike_roc_multiple x its
--    7-day average (the mean of the hourly 24 h changes of the previous 168 hours, when that mean is > 0).
--  * divergence_ratio = |OI change| / |price change| over 24 h when they moved opposite ways, else null;
--    divergence_class 'signal' above oi_divergence_signal_ratio, 'strong' above oi_divergence_strong_ratio.
--  * divergence_hours: how many consecutive hours, ending at this one, the 24 h OI change and the 24 h price
--    change had opposite signs (0 when they do not now). This is the "OI's 24-hour direction diverges from
--    price's 24-hour direction" of the alert; capped at 720 h (30 days) so an hourly run and a full rebuild agree.
--  * divergence_sustained: divergence_hours >= oi_divergence_min_days x 24 and OI down at least
--    oi_divergence_min_oi_drop over those days (oi_change_divergence_span); with opposite signs that means
--    price up on falling OI, the playbook's sustained bearish divergence.
--  * oi_30d_median / oi_30d_min: median and minimum of total OI over the hours (h - 30 d, h], restated on the
--    contracts observed now through a chain-linked like-for-like index (oi_index: each hourly step compares the
--    contracts seen at both hours), so a venue whose history starts today does not make OI look "elevated";
--    with unchanged coverage they are the plain median and minimum. oi_vs_30d_median = total / median - 1.
--  * concentration_shift: the largest move of one venue's share of the asset's OI against 7 days earlier,
--    shares taken over the contracts observed at both hours; concentration_flag from oi_concentration_shift.
-- Changes, shares and ratios are fractions rounded to 12 decimals (macro round_fraction).
-- Incremental: a run rewrites the hours of its window and reads 32 days before it (30-day median and the
-- divergence streak, whose hours each need the OI 24 h earlier).
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

{% set divergence_span_hours = var('oi_divergence_min_days') * 24 %}
{% set horizons = {'oi_change_24h': 24, 'oi_change_48h': 48, 'oi_change_72h': 72, 'oi_change_7d': 168,
                   'oi_change_divergence_span': divergence_span_hours} %}
{% set divergence_hours_cap = 720 %}

{% if is_incremental() %}
    {% set since = window_start_minus('32 days') %}
    {% set until = "cast('" ~ var('window_end') ~ "' as timestamptz)" %}
{% else %}
    {% set since = none %}
    {% set until = none %}
{% endif %}

with instruments as (
    {{ oi_instrument_hours(since=since, until=until) }}
),

totals as (
    select
        asset,
        hour_at,
        {{ epoch_hours('hour_at') }} as hour_no,
        cast(count(distinct exchange) as integer) as venue_count,
        sum(oi_usd) as total_oi_usd,
        min(data_mode) as data_mode
    from instruments
    group by asset, hour_at
),

{% for column, hours in horizons.items() %}
{{ column }} as (
    select cur.asset, cur.hour_at, {{ round_fraction('sum(cur.oi_usd) / sum(prev.oi_usd) - 1') }} as {{ column }}
    from instruments as cur
    join instruments as prev
        on prev.exchange = cur.exchange
        and prev.instrument = cur.instrument
        and prev.hour_at = cur.hour_at - interval {{ hours }} hour
    group by cur.asset, cur.hour_at
),
{% endfor %}

prices as (
    select p.asset, p.hour_at, p.close, {{ round_fraction('p.close / prev.close - 1') }} as price_change_24h
    from {{ ref('int_price_spine') }} as p
    left join {{ ref('int_price_spine') }} as prev
        on prev.asset = p.asset and prev.hour_at = p.hour_at - interval 24 hour
    {% if is_incremental() %}
    where p.hour_at >= {{ window_start_minus('32 days') }}
    {% endif %}
),

-- Venue shares now and 7 days earlier over the same contracts (those observed at both hours).
matched_7d as (
    select cur.asset, cur.hour_at, cur.exchange, sum(cur.oi_usd) as oi_now, sum(prev.oi_usd) as oi_before
    from instruments as cur
    join instruments as prev
        on prev.exchange = cur.exchange
        and prev.instrument = cur.instrument
        and prev.hour_at = cur.hour_at - interval 7 day
    group by cur.asset, cur.hour_at, cur.exchange
),

share_moves as (
    select
        asset,
        hour_at,
        exchange,
        abs(oi_now / sum(oi_now) over w - oi_before / sum(oi_before) over w) as share_move
    from matched_7d
    window w as (partition by asset, hour_at)
),

concentration as (
    select
        asset,
        hour_at,
        {{ round_fraction('max(share_move)') }} as concentration_shift,
        arg_max(exchange, share_move) as concentration_exchange
    from share_moves
    group by asset, hour_at
),

-- A chain-linked OI index for the 30-day level statistics: each hour's step compares the contracts observed
-- both then and at the asset's previous hour, so contracts or venues entering the data do not move the level.
-- Only ratios of the index are used, so where the read starts (its base) does not matter.
previous_hours as (
    select asset, hour_at, lag(hour_at) over (partition by asset order by hour_at) as previous_hour
    from totals
),

steps as (
    select
        h.asset,
        h.hour_at,
        sum(cur.oi_usd) filter (where prev.oi_usd is not null) / sum(prev.oi_usd) as step
    from previous_hours as h
    join instruments as cur on cur.asset = h.asset and cur.hour_at = h.hour_at
    left join instruments as prev
        on prev.exchange = cur.exchange and prev.instrument = cur.instrument and prev.hour_at = h.previous_hour
    group by h.asset, h.hour_at
),

oi_index as (
    select
        asset,
        hour_at,
        exp(sum(case when step > 0 then ln(step) else 0 end) over (
            partition by asset order by hour_at rows between unbounded preceding and current row
        )) as oi_index
    from steps
),

joined as (
    select
        t.*,
        {% for column in horizons %}{{ column }}.{{ column }},
        {% endfor %}
        p.close as price_close,
        p.price_change_24h,
        i.oi_index,
        c.concentration_shift,
        c.concentration_exchange
    from totals as t
    {% for column in horizons %}
    left join {{ column }} using (asset, hour_at)
    {% endfor %}
    left join prices as p using (asset, hour_at)
    left join oi_index as i using (asset, hour_at)
    left join concentration as c using (asset, hour_at)
),

classified as (
    select
        *,
        coalesce(sign(oi_change_24h) * sign(price_change_24h) = -1, false) as is_diverging,
        {{ round_fraction('avg(oi_change_24h) over (
            partition by asset order by hour_at range between interval 168 hour preceding and interval 1 hour preceding
        )') }} as oi_change_24h_avg_7d,
        median(oi_index) over w30 as oi_index_30d_median,
        min(oi_index) over w30 as oi_index_30d_min
    from joined
    window w30 as (partition by asset order by hour_at range between interval 719 hour preceding and current row)
),

-- Consecutive diverging hours share (hour number - row number) within the asset's diverging hours.
streaks as (
    select
        *,
        case
            when is_diverging then least(
                row_number() over (partition by asset, is_diverging, island order by hour_no),
                {{ divergence_hours_cap }}
            )
            else 0
        end as divergence_hours
    from (
        select *, hour_no - row_number() over (partition by asset, is_diverging order by hour_no) as island
        from classified
    )
)

select
    asset,
    hour_at,
    venue_count,
    total_oi_usd,
    oi_change_24h,
    oi_change_48h,
    oi_change_72h,
    oi_change_7d,
    price_close,
    price_change_24h,
    case
        when price_change_24h > 0 and oi_change_24h > 0 then 'new_longs'
        when price_change_24h > 0 and oi_change_24h < 0 then 'short_covering'
        when price_change_24h < 0 and oi_change_24h > 0 then 'new_shorts'
        when price_change_24h < 0 and oi_change_24h < 0 then 'long_capitulation'
    end as quadrant,
    oi_change_24h_avg_7d,
    coalesce(
        {{ at_least('oi_change_24h', var('oi_spike_change_24h')) }}
        or (oi_change_24h_avg_7d > 0
            and {{ at_least('oi_change_24h / oi_change_24h_avg_7d', var('oi_spike_roc_multiple')) }}),
        false
    ) as spike_flag,
    case when is_diverging then {{ round_fraction('abs(oi_change_24h) / abs(price_change_24h)') }} end as divergence_ratio,
    case
        when not is_diverging then null
        when {{ above('abs(oi_change_24h) / abs(price_change_24h)', var('oi_divergence_strong_ratio')) }} then 'strong'
        when {{ above('abs(oi_change_24h) / abs(price_change_24h)', var('oi_divergence_signal_ratio')) }} then 'signal'
    end as divergence_class,
    cast(divergence_hours as integer) as divergence_hours,
    oi_change_divergence_span,
    coalesce(
        divergence_hours >= {{ divergence_span_hours }}
        and {{ at_least('-oi_change_divergence_span', var('oi_divergence_min_oi_drop')) }},
        false
    ) as divergence_sustained,
    round(total_oi_usd * oi_index_30d_median / oi_index, 2) as oi_30d_median,
    round(total_oi_usd * oi_index_30d_min / oi_index, 2) as oi_30d_min,
    {{ round_fraction('oi_index / oi_index_30d_median - 1') }} as oi_vs_30d_median,
    concentration_shift,
    concentration_exchange,
    coalesce({{ at_least('concentration_shift', var('oi_concentration_shift')) }}, false) as concentration_flag,
    data_mode
from streaks
{% if is_incremental() %}
where {{ in_window('hour_at') }}
{% endif %}
