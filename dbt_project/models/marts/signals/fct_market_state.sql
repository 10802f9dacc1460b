-- The market state of each asset each hour, one row per (asset, hour_at): the confluence scenarios' inputs
-- (int_market_state_inputs) and whether each scenario's rule holds. The rules live here, in one place, so
-- fct_confluence_scenarios, the alerts, the daily mart and the command line all agree. Hourly per asset is
-- small (about 9k rows per asset-year), so a table rebuilt each run.
with rules as (
    select
        *,
        -- 1. Long squeeze setup: crowded longs pay >= 0.08 %, OI rising or above its 30-day median,
        --    dense long levels 3-5 % below price.
        coalesce(
            funding_8h >= {{ var('scenario_long_squeeze_funding_8h') }}
            and (oi_change_24h > 0 or oi_vs_30d_median > 0)
            and long_density_3_5 >= {{ var('scenario_dense_share') }},
            false
        ) as is_long_squeeze,
        -- 2. Short squeeze setup: the mirror with funding <= -0.05 % and dense short levels 3-5 % above.
        coalesce(
            funding_8h <= {{ var('scenario_short_squeeze_funding_8h') }}
            and (oi_change_24h > 0 or oi_vs_30d_median > 0)
            and short_density_3_5 >= {{ var('scenario_dense_share') }},
            false
        ) as is_short_squeeze,
        -- 3. Healthy trend: mild funding (0.01-0.03 %) with the 72 h trend, price moving at least
        --    scenario_trend_min_move_72h and OI rising with it over 72 h, no dense levels 3-5 % ahead.
        coalesce(
            trend <> 0
            and funding_8h * trend between {{ var('scenario_healthy_funding_min_8h') }}
                and {{ var('scenario_healthy_funding_max_8h') }}
            and oi_change_72h > 0
            and price_change_72h * trend >= {{ var('scenario_trend_min_move_72h') }}
            and (case when trend > 0 then short_density_3_5 else long_density_3_5 end)
                < {{ var('scenario_dense_share') }},
            false
        ) as is_healthy_trend,
        -- 4. Exhaustion: funding extreme and still rising in the trend's direction (by at least the moderate
        --    acceleration over a day, from a level that was already high: a jump from neutral is a squeeze
        --    setup, not exhaustion), OI accelerating (the last day's growth above the 72 h average daily
        --    growth), levels building on the opposite side.
        coalesce(
            trend <> 0
            and funding_8h * trend >= {{ var('funding_extreme_8h') }}
            and funding_8h_prev * trend >= {{ var('funding_high_8h') }}
            and (funding_8h - funding_8h_prev) * trend >= {{ var('funding_accel_moderate_8h') }}
            and oi_change_24h > 0
            and oi_change_24h > oi_change_72h / 3
            and (case when trend > 0 then long_levels_usd_within_5 - long_levels_usd_within_5_prev
                      else short_levels_usd_within_5 - short_levels_usd_within_5_prev end) > 0,
            false
        ) as is_exhaustion,
        -- 5. Vacuum: no conviction: |funding| <= 0.01 %, OI near its 30-day low and falling, a market gone
        --    quiet (72 h realised volatility well below its 30-day median), sparse levels both sides.
        coalesce(
            abs(funding_8h) <= {{ var('scenario_vacuum_funding_8h') }}
            and total_oi_usd <= oi_30d_min * (1 + {{ var('scenario_oi_near_low') }})
            and oi_change_24h < 0
            and vol_ratio_30d <= {{ var('scenario_vacuum_vol_ratio') }}
            and long_density_3_5 < {{ var('scenario_sparse_share') }}
            and short_density_3_5 < {{ var('scenario_sparse_share') }},
            false
        ) as is_vacuum,
        -- 6. Pre-event build: moderate directional funding (above neutral, below the squeeze level), OI up
        --    >= 15 % in 48 h, level mass on both sides within 5 % of price.
        coalesce(
            abs(funding_8h) >= {{ var('funding_neutral_8h') }}
            and abs(funding_8h) < {{ var('scenario_long_squeeze_funding_8h') }}
            and oi_change_48h >= {{ var('scenario_pre_event_oi_change_48h') }}
            and long_levels_usd_within_5 / nullif(total_oi_usd, 0) >= {{ var('scenario_dense_share') }}
            and short_levels_usd_within_5 / nullif(total_oi_usd, 0) >= {{ var('scenario_dense_share') }},
            false
        ) as is_pre_event
    from {{ ref('int_market_state_inputs') }}
),

persistent as (
    -- A rule counts once it has held in at least scenario_min_hours of the last scenario_window_hours hours,
    -- this one included (hours are contiguous per asset: the price spine has no gaps).
    select
        *,
        {%- for flag in ['is_long_squeeze', 'is_short_squeeze', 'is_healthy_trend', 'is_exhaustion', 'is_vacuum',
                         'is_pre_event'] %}
        coalesce({{ flag }} and count(*) filter (where {{ flag }}) over recent >= {{ var('scenario_min_hours') }}, false)
            as {{ flag }}_held{{ ',' if not loop.last }}
        {%- endfor %}
    from rules
    window recent as (
        partition by asset order by hour_at
        rows between {{ var('scenario_window_hours') - 1 }} preceding and current row
    )
)

select
    asset,
    hour_at,
    close,
    price_change_24h,
    price_change_72h,
    trend,
    realised_vol_72h,
    vol_ratio_30d,
    funding_8h,
    funding_level,
    funding_accel_8h,
    fade_signal,
    total_oi_usd,
    oi_change_24h,
    oi_change_48h,
    oi_change_72h,
    quadrant,
    oi_30d_median,
    oi_30d_min,
    oi_vs_30d_median,
    long_density_3_5,
    short_density_3_5,
    dense_long_usd_3_5,
    dense_short_usd_3_5,
    nearest_dense_long_price,
    nearest_dense_long_distance,
    nearest_dense_short_price,
    nearest_dense_short_distance,
    coalesce(near_dense_level, false) as near_dense_level,
    is_long_squeeze_held as is_long_squeeze,
    is_short_squeeze_held as is_short_squeeze,
    is_healthy_trend_held as is_healthy_trend,
    is_exhaustion_held as is_exhaustion,
    is_vacuum_held as is_vacuum,
    is_pre_event_held as is_pre_event,
    -- When several rules hold, the most specific wins: exhaustion is a squeeze setup that is still
    -- accelerating; squeezes outrank the pre-event build; vacuum and healthy trend are the quiet states.
    cast(case
        when is_exhaustion_held then 4
        when is_long_squeeze_held then 1
        when is_short_squeeze_held then 2
        when is_pre_event_held then 6
        when is_vacuum_held then 5
        when is_healthy_trend_held then 3
    end as integer) as active_scenario
from persistent
