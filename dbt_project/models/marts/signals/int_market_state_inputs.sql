-- The inputs of the confluence scenarios side by side, one row per (asset, hour_at): funding, open interest,
-- price trend and realised volatility, estimated liquidation levels. Kept apart from the rules
-- (fct_market_state) so the rules can be unit-tested on hand-written rows.
with spine as (
    select
        asset,
        hour_at,
        close,
        close / nullif(lag(close, 72) over (partition by asset order by hour_at), 0) - 1 as price_change_72h,
        ln(close / nullif(lag(close) over (partition by asset order by hour_at), 0)) as log_return
    from {{ ref('int_price_spine') }}
),

volatility as (
    -- Realised volatility of hourly returns over 72 h, against its own median over the previous 30 days:
    -- a vacuum is a market gone quiet, not just one with falling OI.
    select
        *,
        stddev_samp(log_return) over (
            partition by asset order by hour_at rows between 71 preceding and current row
        ) as realised_vol_72h
    from spine
),

price as (
    select
        *,
        median(realised_vol_72h) over (
            partition by asset order by hour_at rows between 720 preceding and 1 preceding
        ) as realised_vol_72h_30d_median
    from volatility
),

oi as (
    select
        asset,
        hour_at,
        total_oi_usd,
        oi_change_24h,
        oi_change_48h,
        price_change_24h,
        quadrant,
        oi_30d_median,
        oi_30d_min,
        oi_vs_30d_median,
        oi_change_72h
    from {{ ref('fct_open_interest_signals') }}
),

levels as (
    select
        asset,
        hour_at,
        dense_long_usd_3_5,
        dense_short_usd_3_5,
        long_density_3_5,
        short_density_3_5,
        long_levels_usd_within_5,
        short_levels_usd_within_5,
        nearest_dense_long_price,
        nearest_dense_long_distance,
        nearest_dense_short_price,
        nearest_dense_short_distance,
        near_dense_level
    from {{ ref('fct_liquidation_level_proximity') }}
),

joined as (
    select
        s.asset,
        s.hour_at,
        s.close,
        s.price_change_72h,
        cast(sign(s.price_change_72h) as integer) as trend,
        s.realised_vol_72h,
        s.realised_vol_72h / nullif(s.realised_vol_72h_30d_median, 0) as vol_ratio_30d,
        f.weighted_rate_8h as funding_8h,
        f.funding_level,
        f.accel_8h as funding_accel_8h,
        f.fade_signal,
        oi.total_oi_usd,
        oi.oi_change_24h,
        oi.oi_change_48h,
        oi.oi_change_72h,
        oi.price_change_24h,
        oi.quadrant,
        oi.oi_30d_median,
        oi.oi_30d_min,
        oi.oi_vs_30d_median,
        lv.dense_long_usd_3_5,
        lv.dense_short_usd_3_5,
        coalesce(lv.long_density_3_5, 0) as long_density_3_5,
        coalesce(lv.short_density_3_5, 0) as short_density_3_5,
        lv.long_levels_usd_within_5,
        lv.short_levels_usd_within_5,
        lv.nearest_dense_long_price,
        lv.nearest_dense_long_distance,
        lv.nearest_dense_short_price,
        lv.nearest_dense_short_distance,
        lv.near_dense_level
    from price as s
    left join {{ ref('fct_funding_signals') }} as f using (asset, hour_at)
    left join oi using (asset, hour_at)
    left join levels as lv using (asset, hour_at)
)

-- Day-ago values are read on the joined rows, which follow the gap-free price spine: 24 rows are 24 hours
-- even when an input mart has a missing hour.
select
    *,
    lag(funding_8h, 24) over day_ago as funding_8h_prev,
    lag(oi_change_24h, 24) over day_ago as oi_change_24h_prev,
    lag(long_levels_usd_within_5, 24) over day_ago as long_levels_usd_within_5_prev,
    lag(short_levels_usd_within_5, 24) over day_ago as short_levels_usd_within_5_prev
from joined
window day_ago as (partition by asset order by hour_at)
