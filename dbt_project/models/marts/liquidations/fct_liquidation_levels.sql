-- ESTIMATED liquidation levels (the "heatmap"), one row per (asset, hour_at, side, bucket_price): the USD of
-- positions the model estimates would be liquidated in each price bucket, as the book stands at the end of
-- the hour. These are estimates from open-interest changes and an assumed leverage mix, not observed
-- positions (int_liquidation_levels explains the model). This model ranks and labels the buckets:
-- density_rank orders a side's buckets by estimated USD (ties: the nearer bucket first); the densest bucket
-- of the hour over both sides is CRITICAL, the rest of each side's top var liq_high_density_buckets are
-- HIGH DENSITY. Ranking here (SQL) rather than in the Python model keeps the labels unit-testable and
-- puts the enforced contract on the table readers use. Incremental on the hours the window touches.
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

with buckets as (
    select *
    from {{ ref('int_liquidation_levels') }}
    {% if is_incremental() %}
    where {{ liq_hours_in_window('hour_at') }}
    {% endif %}
),

ranked as (
    select
        *,
        row_number() over (
            partition by asset, hour_at, side order by level_usd desc, distance_from_close, bucket_price
        ) as side_rank,
        row_number() over (
            partition by asset, hour_at order by level_usd desc, distance_from_close, side
        ) as hour_rank
    from buckets
)

select
    cast(asset as varchar) as asset,
    cast(hour_at as timestamp with time zone) as hour_at,
    cast(side as varchar) as side,
    cast(bucket_price as double) as bucket_price,
    cast(bucket_price_high as double) as bucket_price_high,
    cast(level_usd as double) as estimated_usd,
    cast(level_count as integer) as level_count,
    cast(level_usd / nullif(side_total_usd, 0) as double) as share_of_side,
    cast(distance_from_close as double) as distance_from_close,
    cast(close as double) as close,
    cast(side_total_usd as double) as side_total_usd,
    cast(side_rank as integer) as density_rank,
    cast(case
        when hour_rank = 1 then 'CRITICAL'
        when side_rank <= {{ var('liq_high_density_buckets') }} then 'HIGH DENSITY'
    end as varchar) as density_label
from ranked
