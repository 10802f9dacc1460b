-- One row per Bybit liquidation (exchange, event_key), from the allLiquidation websocket messages the
-- stream collector stores (one raw row per message, each holding the liquidations of a 500 ms push).
-- Side: `S` is the side of the liquidated POSITION, not of the liquidation order (unlike Binance and
-- OKX): "Buy means a long position has been liquidated" (reference/exchange_api.md sections 0.1 and 2;
-- simulator/venues/bybit.py _liquidation_item sends S = "Buy" for a liquidated long).
-- Size: `v` is in contracts: base coin on linear symbols (x1000 on 1000PEPEUSDT), USD on inverse ones.
-- Bybit gives no liquidation id, so event_key hashes the event's fields (with a counter for identical
-- events inside one message), which makes a message stored twice collapse into one event.
with responses as (
    select payload, endpoint, partition_key, page, fetched_at, data_mode
    from {{ source('bybit', 'liquidations') }}
    where http_status in (101, 200) and json_valid(payload)
),

records as (
    -- Fields are read by JSON path, not from_json: `s` (symbol) and `S` (side) differ only by case, and
    -- DuckDB struct keys are case-insensitive.
    select
        unnest(json_extract(payload, '$.data[*]')) as e,
        endpoint,
        partition_key,
        page,
        fetched_at,
        data_mode
    from responses
    where json_extract_string(payload, '$.topic') like 'allLiquidation.%'
),

typed as (
    select
        json_extract_string(e, '$.s') as instrument,
        try_cast(json_extract_string(e, '$.T') as bigint) as liquidated_ms,
        json_extract_string(e, '$.S') as side,
        json_extract_string(e, '$.v') as size_text,
        json_extract_string(e, '$.p') as price_text,
        try_cast(json_extract_string(e, '$.p') as double) as price,
        try_cast(json_extract_string(e, '$.v') as double) as size_contracts,
        -- Inverse symbols (BTCUSD, BTCUSDH26) come over /v5/public/inverse and count USD contracts.
        endpoint like '%/inverse%'
            or regexp_matches(json_extract_string(e, '$.s'), '^[A-Z0-9]+USD([FGHJKMNQUVXZ][0-9]{2})?$') as is_inverse,
        partition_key,
        page,
        fetched_at,
        data_mode
    from records
),

valid as (
    select *, {{ epoch_ms_to_ts('liquidated_ms') }} as liquidated_at
    from typed
    where instrument is not null and liquidated_ms is not null and side in ('Buy', 'Sell')
),

keyed as (
    select
        *,
        -- The counter runs inside one stored message (partition_key, page): copies of a message get the same keys.
        md5(concat_ws('|', instrument, liquidated_ms, side, size_text, price_text, row_number() over (
            partition by partition_key, page, instrument, liquidated_ms, side, size_text, price_text
        ))) as event_key
    from valid
),

deduplicated as (
    -- A message stored twice (a collector restart, two partitions) is one set of events: latest fetch wins.
    select *
    from keyed
    qualify row_number() over (partition by event_key order by fetched_at desc) = 1
),

sized as (
    select
        *,
        -- Per coin: a 1000PEPEUSDT price is per 1000 PEPE and its size counts thousands.
        case when is_inverse then price else price / {{ bybit_coin_multiplier('instrument') }} end as coin_price,
        case
            when is_inverse then size_contracts / nullif(price, 0)
            else size_contracts * {{ bybit_coin_multiplier('instrument') }}
        end as quantity_coin
    from deduplicated
)

select
    cast('bybit' as varchar) as exchange,
    cast({{ bybit_asset('instrument') }} as varchar) as asset,
    cast(instrument as varchar) as instrument,
    liquidated_at,
    cast(case side when 'Buy' then 'long' when 'Sell' then 'short' end as varchar) as position_side,
    cast(coin_price as double) as price,
    cast(quantity_coin as double) as quantity_coin,
    cast(coin_price * quantity_coin as double) as size_usd,
    cast(event_key as varchar) as event_key,
    cast('websocket' as varchar) as liquidation_source,
    cast(data_mode as varchar) as data_mode,
    size_contracts,
    fetched_at
from sized
