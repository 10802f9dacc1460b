-- Cross-venue funding signals per asset and hour, one row per (asset, hour_at) with funding data
-- (SPEC section 4 "Funding"), computed on fct_funding_hourly (every venue's rate in force that hour, per 8 h).
--  * weighted_rate_8h: sum(rate_8h x oi_usd) / sum(oi_usd) over the venues with OI that hour; the plain mean
--    when none has OI (`weighting`). Level and sentiment from the funding thresholds, level with its sign.
--  * Fade: venues_high counts venues with |rate_8h| >= funding_high_8h. An hour is a fade hour of one sign when
--    at least funding_fade_min_venues venues are high with that sign. fade_streak_periods counts the
--    consecutive 8 h periods ending at this hour (this hour, 8 h before, 16 h before, ...) that were fade hours
--    of the same sign; from funding_fade_min_periods periods on, fade_signal is 'contrarian_short' (positive
--    funding) or 'contrarian_long' (negative).
--  * Acceleration: accel_8h = rate(h) - rate(h - 8 h). 'parabolic' when the rate doubled over the previous
--    period (|r(h-8)| >= 2 |r(h-16)|, from at least funding_neutral_8h) and kept accelerating
--    (|r(h)| - |r(h-8)| >= |r(h-8)| - |r(h-16)|), all one sign: 0.03 -> 0.06 -> 0.10 % is parabolic,
--    0.03 -> 0.06 -> 0.08 % is not. Else 'strong' / 'moderate' by |accel_8h| against the acceleration vars.
--  * Divergence: 'bearish' when the asset's price (int_price_spine close) makes a new 7-day high (above every
--    close of the previous 168 hours, all present) while avg_7d_rate_8h (the 7-day mean of the weighted rate)
--    is below its value at the previous high (the hour of the highest close of those 168 hours); 'bullish'
--    mirrors it at a new 7-day low with the average above its value at the previous low.
--  * Spread: max minus min of the venues' rate_8h; spread_alert above funding_spread_alert_8h.
--  * Carry: avg_7d_rate_8h above carry_favourable_8h is 'favourable', below carry_exit_8h (so also any
--    negative average) 'exit', else 'neutral'.
-- Incremental: a run rewrites the hours of its window and reads 15 days before it, enough for the 7-day average
-- at a previous high up to 7 days back (14 days) and for the fade streak, which is capped at 21 periods
-- (7 days) so that an hourly run and a full rebuild give the same numbers.
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

{% set fade_streak_cap = 21 %}

with venue_hours as (
    select *
    from {{ ref('fct_funding_hourly') }}
    {% if is_incremental() %}
    where hour_at >= {{ window_start_minus('15 days') }}
      and hour_at < cast('{{ var("window_end") }}' as timestamptz)
    {% endif %}
),

prices as (
    select asset, hour_at, close
    from {{ ref('int_price_spine') }}
    {% if is_incremental() %}
    where hour_at >= {{ window_start_minus('15 days') }}
      and hour_at < cast('{{ var("window_end") }}' as timestamptz)
    {% endif %}
),

per_hour as (
    select
        asset,
        hour_at,
        cast(count(*) as integer) as venue_count,
        cast(count(*) filter (where oi_usd > 0) as integer) as oi_venue_count,
        sum(funding_rate_8h * oi_usd) filter (where oi_usd > 0)
            / sum(oi_usd) filter (where oi_usd > 0) as oi_weighted_rate_8h,
        avg(funding_rate_8h) as mean_rate_8h,
        {{ round_fraction('max(funding_rate_8h) - min(funding_rate_8h)') }} as cross_venue_spread_8h,
        cast(count(*) filter (where {{ at_least('abs(funding_rate_8h)', var('funding_high_8h')) }}) as integer)
            as venues_high,
        cast(count(*) filter (where {{ at_least('funding_rate_8h', var('funding_high_8h')) }}) as integer)
            as venues_high_positive,
        cast(count(*) filter (where {{ at_least('-funding_rate_8h', var('funding_high_8h')) }}) as integer)
            as venues_high_negative,
        min(data_mode) as data_mode
    from venue_hours
    group by asset, hour_at
),

weighted as (
    select
        *,
        case when oi_venue_count > 0 then oi_weighted_rate_8h else mean_rate_8h end as weighted_rate_8h,
        case when oi_venue_count > 0 then 'open_interest' else 'equal' end as weighting,
        {{ epoch_hours('hour_at') }} as hour_no,
        case
            when venues_high_positive >= {{ var('funding_fade_min_venues') }}
                and venues_high_positive >= venues_high_negative then 1
            when venues_high_negative >= {{ var('funding_fade_min_venues') }} then -1
            else 0
        end as fade_side
    from per_hour
),

with_average as (
    select
        *,
        avg(weighted_rate_8h) over (
            partition by asset order by hour_at range between interval 167 hour preceding and current row
        ) as avg_7d_rate_8h
    from weighted
),

-- Fade hours 8 h apart form a streak: within each residue class of the hour number mod 8, consecutive
-- periods k, k+1, ... of the same side share (k - row number).
fade_islands as (
    select
        *,
        hour_no // 8 - row_number() over (partition by asset, hour_no % 8, fade_side order by hour_no) as island
    from with_average
),

fade as (
    select
        *,
        case
            when fade_side = 0 then 0
            else least(
                row_number() over (partition by asset, hour_no % 8, fade_side, island order by hour_no),
                {{ fade_streak_cap }}
            )
        end as fade_streak_periods
    from fade_islands
),

price_extremes as (
    select
        asset,
        hour_at,
        close,
        count(close) over w as prior_hours,
        max(close) over w as prior_high,
        min(close) over w as prior_low,
        -- The latest hour of the highest (lowest) close when several hours tie.
        arg_max(hour_at, {'close': close, 'hour_at': hour_at}) over w as prior_high_at,
        arg_max(hour_at, {'neg_close': -close, 'hour_at': hour_at}) over w as prior_low_at
    from prices
    window w as (partition by asset order by hour_at range between interval 168 hour preceding and interval 1 hour preceding)
),

joined as (
    select
        f.*,
        p1.weighted_rate_8h as rate_8h_ago,
        p2.weighted_rate_8h as rate_16h_ago,
        px.close as price_close,
        px.prior_hours = 168 and px.close > px.prior_high as is_new_high_7d,
        px.prior_hours = 168 and px.close < px.prior_low as is_new_low_7d,
        at_high.avg_7d_rate_8h as avg_7d_rate_8h_at_prior_high,
        at_low.avg_7d_rate_8h as avg_7d_rate_8h_at_prior_low
    from fade as f
    left join weighted as p1 on p1.asset = f.asset and p1.hour_at = f.hour_at - interval 8 hour
    left join weighted as p2 on p2.asset = f.asset and p2.hour_at = f.hour_at - interval 16 hour
    left join price_extremes as px on px.asset = f.asset and px.hour_at = f.hour_at
    left join with_average as at_high on at_high.asset = f.asset and at_high.hour_at = px.prior_high_at
    left join with_average as at_low on at_low.asset = f.asset and at_low.hour_at = px.prior_low_at
),

signals as (
    select
        *,
        {{ round_fraction('weighted_rate_8h - rate_8h_ago') }} as accel_8h,
        coalesce(
            sign(weighted_rate_8h) = sign(rate_8h_ago)
            and sign(rate_8h_ago) = sign(rate_16h_ago)
            and {{ at_least('abs(rate_16h_ago)', var('funding_neutral_8h')) }}
            and {{ at_least('abs(rate_8h_ago) - 2 * abs(rate_16h_ago)', 0) }}
            and {{ at_least('(abs(weighted_rate_8h) - abs(rate_8h_ago)) - (abs(rate_8h_ago) - abs(rate_16h_ago))', 0) }},
            false
        ) as is_parabolic
    from joined
)

select
    asset,
    hour_at,
    venue_count,
    oi_venue_count,
    weighting,
    weighted_rate_8h,
    {{ funding_apr('weighted_rate_8h', 8) }} as weighted_apr,
    {{ funding_level('weighted_rate_8h') }} as funding_level,
    {{ funding_sentiment('weighted_rate_8h') }} as sentiment,
    venues_high,
    venues_high_positive,
    venues_high_negative,
    cast(fade_streak_periods as integer) as fade_streak_periods,
    case
        when fade_streak_periods >= {{ var('funding_fade_min_periods') }}
            then case when fade_side > 0 then 'contrarian_short' else 'contrarian_long' end
    end as fade_signal,
    accel_8h,
    case
        when is_parabolic then 'parabolic'
        when {{ at_least('abs(accel_8h)', var('funding_accel_strong_8h')) }} then 'strong'
        when {{ at_least('abs(accel_8h)', var('funding_accel_moderate_8h')) }} then 'moderate'
    end as accel_class,
    cross_venue_spread_8h,
    {{ above('cross_venue_spread_8h', var('funding_spread_alert_8h')) }} as spread_alert,
    avg_7d_rate_8h,
    {{ funding_apr('avg_7d_rate_8h', 8) }} as avg_7d_apr,
    case
        when {{ above('avg_7d_rate_8h', var('carry_favourable_8h')) }} then 'favourable'
        when {{ below('avg_7d_rate_8h', var('carry_exit_8h')) }} then 'exit'
        else 'neutral'
    end as carry_state,
    price_close,
    coalesce(is_new_high_7d, false) as is_new_high_7d,
    coalesce(is_new_low_7d, false) as is_new_low_7d,
    case
        when is_new_high_7d and avg_7d_rate_8h < avg_7d_rate_8h_at_prior_high then 'bearish'
        when is_new_low_7d and avg_7d_rate_8h > avg_7d_rate_8h_at_prior_low then 'bullish'
    end as divergence,
    data_mode
from signals
{% if is_incremental() %}
where {{ in_window('hour_at') }}
{% endif %}
