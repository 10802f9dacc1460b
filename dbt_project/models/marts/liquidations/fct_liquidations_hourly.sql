-- Liquidated USD per asset, venue and hour, one row per (asset, exchange, hour_at) with at least one event
-- (hours without events have no row here; fct_liquidation_summary has every hour). Split by the side of
-- the liquidated position: long_usd is longs that were liquidated (forced sells), short_usd shorts
-- (forced buys). Incremental: a run rewrites every hour its window touches, in full.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['asset', 'exchange', 'hour_at'],
        on_schema_change='fail',
        pre_hook=[
            "{{ delete_window_rows('hour_at') }}",
        ],
    )
}}

with events as (
    select asset, exchange, hour_at, position_side, size_usd, data_mode
    from {{ ref('fct_liquidation_events') }}
    {% if is_incremental() %}
    where {{ liq_hours_in_window('hour_at') }}
    {% endif %}
)

select
    asset,
    exchange,
    hour_at,
    coalesce(sum(size_usd) filter (where position_side = 'long'), 0) as long_usd,
    coalesce(sum(size_usd) filter (where position_side = 'short'), 0) as short_usd,
    coalesce(sum(size_usd), 0) as total_usd,
    cast(count(*) filter (where position_side = 'long') as integer) as long_events,
    cast(count(*) filter (where position_side = 'short') as integer) as short_events,
    cast(count(*) as integer) as events,
    max(data_mode) as data_mode
from events
group by asset, exchange, hour_at
