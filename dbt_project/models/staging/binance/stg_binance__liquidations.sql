-- One row per Binance forceOrder liquidation event (event_key), from the websocket collector's raw rows
-- (raw.binance__liquidations: one row per stored stream message, http_status 101; see ingest/streams/).
-- Side: Binance's `S` is the side of the liquidation ORDER (reference/exchange_api.md; the simulator's
-- binance_ws.force_order agrees): a SELL order closes a liquidated LONG, a BUY order a liquidated SHORT.
-- Price is the average fill `ap` (the limit `p` sits beyond it), quantity the filled `z` (else the order
-- quantity `q`). USD-M quantities are coin (units of 1000 coins on 1000PEPEUSDT, whose prices are per 1000);
-- COIN-M events (they carry the pair `ps`) count contracts of contractSize USD, converted to coin at the fill.
-- Binance pushes at most one event per symbol and second, so totals are a lower bound. Binance gives no id:
-- event_key hashes symbol, trade time, side, fill price and quantity.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('binance', 'liquidations') }}
    where json_valid(payload)
),

messages as (
    -- Raw streams send the event itself; combined streams (/stream?streams=) wrap it as {"stream", "data"}.
    select
        case when json_exists(payload, '$.data') then json_extract(payload, '$.data') else payload end as event,
        fetched_at,
        data_mode
    from responses
),

events as (
    -- Binance's keys differ only by case (e/E, s/S): DuckDB structs are case-insensitive, JSON paths are not,
    -- so the fields are read by path, all at once.
    select
        json_extract_string(
            event, ['$.e', '$.E', '$.o.s', '$.o.ps', '$.o.S', '$.o.q', '$.o.p', '$.o.ap', '$.o.X', '$.o.z', '$.o.T']
        ) as f,
        fetched_at,
        data_mode
    from messages
),

fields as (
    select
        f[1] as event_type,
        f[2] as event_time,
        f[3] as symbol,
        f[4] as pair,
        f[5] as side,
        f[6] as order_quantity,
        f[7] as order_price,
        f[8] as average_price,
        f[9] as order_status,
        f[10] as filled_quantity,
        f[11] as trade_time,
        fetched_at,
        data_mode
    from events
),

typed as (
    select
        symbol as instrument,
        pair is not null or symbol like '%USD\_%' escape '\' as is_coin_margined,
        {{ binance_ms_to_ts('coalesce(trade_time, event_time)') }} as liquidated_at,
        upper(side) as order_side,
        coalesce(nullif(try_cast(average_price as double), 0), try_cast(order_price as double)) as fill_price,
        coalesce(nullif(try_cast(filled_quantity as double), 0), try_cast(order_quantity as double)) as quantity,
        order_status,
        md5(concat_ws(
            '|', symbol, coalesce(trade_time, event_time), side, average_price, order_price, filled_quantity,
            order_quantity
        )) as event_key,
        fetched_at,
        data_mode
    from fields
    where event_type = 'forceOrder' and symbol is not null and upper(side) in ('BUY', 'SELL')
),

deduplicated as (
    -- A message stored twice (collector restart, overlapping hour files) is one event.
    select *
    from typed
    qualify row_number() over (partition by event_key order by fetched_at desc) = 1
),

sizes as (
    select instrument, contract_size
    from {{ ref('stg_binance__instruments') }}
    where contract_unit = 'usd'
),

converted as (
    select
        deduplicated.*,
        case
            when is_coin_margined then fill_price
            else fill_price / {{ binance_coins_per_unit('deduplicated.instrument') }}
        end as price,
        case
            when is_coin_margined then quantity * coalesce(
                sizes.contract_size,
                case when {{ binance_asset('deduplicated.instrument') }} = 'BTC' then 100.0 else 10.0 end
            ) / nullif(fill_price, 0)
            else quantity * {{ binance_coins_per_unit('deduplicated.instrument') }}
        end as quantity_coin
    from deduplicated
    left join sizes on sizes.instrument = deduplicated.instrument
)

select
    cast('binance' as varchar) as exchange,
    cast({{ binance_asset('instrument') }} as varchar) as asset,
    cast(instrument as varchar) as instrument,
    liquidated_at,
    cast(case order_side when 'SELL' then 'long' when 'BUY' then 'short' end as varchar) as position_side,
    cast(price as double) as price,
    cast(quantity_coin as double) as quantity_coin,
    cast(price * quantity_coin as double) as size_usd,
    cast(event_key as varchar) as event_key,
    cast('websocket' as varchar) as liquidation_source,
    cast(data_mode as varchar) as data_mode,
    cast(order_side as varchar) as order_side,
    cast(order_status as varchar) as order_status,
    fetched_at
from converted
