-- Liquidation events, one row per (exchange, event_key): every venue's liquidations with the side of the
-- position that was liquidated (staging already turned Binance/OKX order sides into position sides).
-- History-sized, so incremental on the partition window: a run rewrites the events its window holds.
-- hour_at and event_date are stored so the hourly and daily liquidation marts filter on them directly.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['exchange', 'event_key'],
        on_schema_change='fail',
        pre_hook=[
            "{{ delete_window_rows('liquidated_at') }}",
        ],
    )
}}

with events as (
    select *
    from {{ ref('int_liquidations') }}
    where liquidated_at is not null and event_key is not null
    {% if is_incremental() %}
      and {{ in_window('liquidated_at') }}
    {% endif %}
),

deduplicated as (
    -- A venue can deliver one event twice (a websocket message and a REST page): keep one.
    select *
    from events
    qualify row_number() over (
        partition by exchange, event_key order by liquidated_at, liquidation_source
    ) = 1
)

select
    exchange,
    asset,
    instrument,
    liquidated_at,
    {{ liq_floor_hour('liquidated_at') }} as hour_at,
    {{ liq_utc_date('liquidated_at') }} as event_date,
    position_side,
    price,
    quantity_coin,
    size_usd,
    event_key,
    liquidation_source,
    data_mode
from deduplicated
