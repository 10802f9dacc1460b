-- One row per BitMEX liquidation order (exchange, event_key = orderID), from the realtime `liquidation`
-- table messages the stream collector stores (one raw row per message). BitMEX publishes a liquidation
-- as an order resting on the book: `partial` (orders resting when we subscribed) or `insert` carries the
-- full row, `update` a smaller leavesQty as it fills, `delete` only orderID and symbol once it is gone.
-- The messages carry no time, so liquidated_at is when we first received the order.
-- Side: `side` is the ORDER side, so a Sell order liquidates a LONG position (simulator/venues/bitmex.py
-- _liquidation_row; reference/exchange_api.md section 0.1 for the venues that report order sides).
-- Size: leavesQty is in contracts (stg_bitmex__instruments has their size): inverse XBTUSD contracts are
-- 1 USD (coin = USD / price); quanto ETHUSD/SOLUSD contracts are contract_size BTC per 1.0 of price, i.e.
-- contract_size x the BTC price in coin, with the BTC price the latest .BXBT index or XBTUSD candle before
-- the event; linear contracts are contract_size coin.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('bitmex', 'liquidations') }}
    where http_status in (101, 200) and json_valid(payload)
),

parsed as (
    select
        from_json(payload, '{"table":"VARCHAR","action":"VARCHAR","data":[{"orderID":"VARCHAR","symbol":"VARCHAR","side":"VARCHAR","price":"DOUBLE","leavesQty":"DOUBLE"}]}') as message,
        fetched_at,
        data_mode
    from responses
),

records as (
    select unnest(message.data) as r, message.action as action, fetched_at, data_mode
    from parsed
    where message.table = 'liquidation' and message.action in ('partial', 'insert', 'update')
),

orders as (
    -- One event per orderID: first sighting for the time, the full size before any fill, the side and
    -- price of the newest message that states them (a message stored twice changes nothing).
    select
        r.orderID as event_key,
        min(fetched_at) as liquidated_at,
        any_value(r.symbol) filter (where r.symbol is not null) as instrument,
        arg_max(r.side, fetched_at) filter (where r.side in ('Buy', 'Sell')) as side,
        arg_max(r.price, fetched_at) filter (where r.price is not null) as order_price,
        max(r.leavesQty) as quantity_contracts,
        arg_max(data_mode, fetched_at) as data_mode,
        max(fetched_at) as fetched_at
    from records
    where r.orderID is not null
    group by r.orderID
),

btc_prices as (
    select observed_at as priced_at, price
    from {{ ref('stg_bitmex__index_prices') }}
    where asset = 'BTC' and price is not null
    union all
    select hour_at + interval 1 hour as priced_at, close as price
    from {{ ref('stg_bitmex__candles') }}
    where instrument = 'XBTUSD' and close is not null
),

with_btc as (
    select orders.*, btc_prices.price as btc_price
    from orders
    asof left join btc_prices on orders.liquidated_at >= btc_prices.priced_at
),

sized as (
    select
        with_btc.*,
        instruments.contract_unit,
        case
            -- XBTUSD is inverse (1 USD a contract) even before an instruments snapshot lists it.
            when coalesce(instruments.contract_unit, if(with_btc.instrument = 'XBTUSD', 'usd', null)) = 'usd'
                then quantity_contracts * coalesce(instruments.contract_size, 1.0) / nullif(order_price, 0)
            when instruments.contract_unit = 'quanto'
                then quantity_contracts * instruments.contract_size * coalesce(
                    btc_price,
                    (select min_by(price, priced_at) from btc_prices)  -- events older than every price: the first one
                )
            when instruments.contract_unit = 'coin' then quantity_contracts * instruments.contract_size
        end as quantity_coin
    from with_btc
    left join {{ ref('stg_bitmex__instruments') }} as instruments using (instrument)
)

select
    cast('bitmex' as varchar) as exchange,
    cast({{ bitmex_asset('instrument') }} as varchar) as asset,
    cast(instrument as varchar) as instrument,
    liquidated_at,
    cast(case side when 'Sell' then 'long' when 'Buy' then 'short' end as varchar) as position_side,
    cast(order_price as double) as price,
    cast(quantity_coin as double) as quantity_coin,
    cast(order_price * quantity_coin as double) as size_usd,
    cast(event_key as varchar) as event_key,
    cast('websocket' as varchar) as liquidation_source,
    cast(data_mode as varchar) as data_mode,
    cast(quantity_contracts as double) as quantity_contracts,
    fetched_at
from sized
where instrument is not null
