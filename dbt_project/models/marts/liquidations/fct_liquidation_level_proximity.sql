-- How close price is to the ESTIMATED liquidation levels, one row per (asset, hour_at) for every hour of
-- int_price_spine, as the book stands at the end of the hour (fct_liquidation_levels). Read by the alerts
-- ("price within var liq_proximity of a dense level") and by the confluence scenarios ("dense long levels
-- 3-5 % below"). Distances are fractions of the close to a bucket's nearest edge (>= 0): long levels lie
-- below the close, short levels above. "Dense" levels are the HIGH DENSITY/CRITICAL buckets; the band sums
-- (dense_*_usd_3_5, *_levels_usd_within_*) add up all published estimated USD in the band, and
-- *_density_3_5 divides that by the total open interest so "dense" vs "sparse" is judged relative to the
-- market's size rather than in raw USD. Incremental on the hours the window touches.
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

{% set band_min = var('scenario_dense_band_min') %}
{% set band_max = var('scenario_dense_band_max') %}
{% set proximity = var('liq_proximity') %}

with hours as (
    select asset, hour_at, close, total_oi_usd
    from {{ ref('int_asset_open_interest_hourly') }}
    {% if is_incremental() %}
    where {{ liq_hours_in_window('hour_at') }}
    {% endif %}
),

levels as (
    select asset, hour_at, side, bucket_price, bucket_price_high, estimated_usd, distance_from_close, density_label
    from {{ ref('fct_liquidation_levels') }}
    {% if is_incremental() %}
    where {{ liq_hours_in_window('hour_at') }}
    {% endif %}
),

nearest_dense as (
    select
        asset,
        hour_at,
        side,
        -- The edge facing the close: the top of a long bucket, the bottom of a short bucket.
        case when side = 'long' then bucket_price_high else bucket_price end as level_price,
        distance_from_close,
        estimated_usd,
        density_label
    from levels
    where density_label is not null
    qualify row_number() over (
        partition by asset, hour_at, side order by distance_from_close, estimated_usd desc
    ) = 1
),

bands as (
    select
        asset,
        hour_at,
        sum(estimated_usd) filter (
            where side = 'long' and distance_from_close between {{ band_min }} and {{ band_max }}
        ) as dense_long_usd_3_5,
        sum(estimated_usd) filter (
            where side = 'short' and distance_from_close between {{ band_min }} and {{ band_max }}
        ) as dense_short_usd_3_5,
        sum(estimated_usd) filter (where side = 'long' and distance_from_close <= {{ band_max }})
            as long_levels_usd_within_5,
        sum(estimated_usd) filter (where side = 'short' and distance_from_close <= {{ band_max }})
            as short_levels_usd_within_5,
        sum(estimated_usd) filter (where side = 'long' and distance_from_close <= {{ proximity }})
            as long_levels_usd_within_proximity,
        sum(estimated_usd) filter (where side = 'short' and distance_from_close <= {{ proximity }})
            as short_levels_usd_within_proximity
    from levels
    group by asset, hour_at
)

select
    h.asset,
    h.hour_at,
    h.close,
    h.total_oi_usd,
    nl.level_price as nearest_dense_long_price,
    nl.distance_from_close as nearest_dense_long_distance,
    nl.estimated_usd as nearest_dense_long_usd,
    ns.level_price as nearest_dense_short_price,
    ns.distance_from_close as nearest_dense_short_distance,
    ns.estimated_usd as nearest_dense_short_usd,
    coalesce(b.dense_long_usd_3_5, 0) as dense_long_usd_3_5,
    coalesce(b.dense_short_usd_3_5, 0) as dense_short_usd_3_5,
    coalesce(b.long_levels_usd_within_5, 0) as long_levels_usd_within_5,
    coalesce(b.short_levels_usd_within_5, 0) as short_levels_usd_within_5,
    coalesce(b.long_levels_usd_within_proximity, 0) as long_levels_usd_within_proximity,
    coalesce(b.short_levels_usd_within_proximity, 0) as short_levels_usd_within_proximity,
    coalesce(b.dense_long_usd_3_5, 0) / nullif(h.total_oi_usd, 0) as long_density_3_5,
    coalesce(b.dense_short_usd_3_5, 0) / nullif(h.total_oi_usd, 0) as short_density_3_5,
    coalesce(nl.distance_from_close <= {{ proximity }}, false)
        or coalesce(ns.distance_from_close <= {{ proximity }}, false) as near_dense_level
from hours as h
left join nearest_dense as nl on nl.asset = h.asset and nl.hour_at = h.hour_at and nl.side = 'long'
left join nearest_dense as ns on ns.asset = h.asset and ns.hour_at = h.hour_at and ns.side = 'short'
left join bands as b on b.asset = h.asset and b.hour_at = h.hour_at
