-- One row per OKX liquidation order (event_key), from /public/liquidation-orders: OKX serves about the last
-- day, so our hourly snapshots overlap and the same order is seen up to 24 times (the latest fetch wins).
-- Entries are per instrument with their `details` orders. Side: OKX reports the ORDER side (`side`) and the
-- liquidated POSITION (`posSide`); a sell order closes a long. posSide is used when it names a side (long,
-- short); in one-way mode it is `net` and the position is the opposite of the order side.
-- `sz` is in contracts: coin = sz x ctVal x ctMult for linear contracts, sz x ctVal USD / price for inverse
-- ones (contract sizes from stg_okx__instruments). price is the bankruptcy price (bkPx), the only price sent.
-- OKX gives no order id: event_key hashes the instrument and the order's fields (time in ms, sides, price,
-- size), which stay the same in every snapshot that repeats the order.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('okx', 'liquidation_orders') }}
    where http_status = 200 and json_valid(payload) and json_extract_string(payload, '$.code') = '0'
),

entries as (
    select
        unnest(from_json(payload, '{"data":[{"instId":"VARCHAR","instFamily":"VARCHAR","uly":"VARCHAR","instType":"VARCHAR","details":[{"side":"VARCHAR","posSide":"VARCHAR","bkPx":"VARCHAR","sz":"VARCHAR","bkLoss":"VARCHAR","ccy":"VARCHAR","ts":"BIGINT"}]}]}').data) as e,
        fetched_at,
        data_mode
    from responses
),

orders as (
    select
        e.instId as instrument,
        upper(split_part(coalesce(nullif(e.instFamily, ''), nullif(e.uly, ''), e.instId), '-', 1)) as asset,
        e.instType as instrument_type,
        unnest(e.details) as d,
        fetched_at,
        data_mode
    from entries
    where e.instId is not null
),

typed as (
    select
        instrument,
        asset,
        instrument_type,
        {{ epoch_ms_to_ts('d.ts') }} as liquidated_at,
        lower(d.side) as order_side,
        lower(d.posSide) as reported_position_side,
        case
            when lower(d.posSide) in ('long', 'short') then lower(d.posSide)
            when lower(d.side) = 'sell' then 'long'
            when lower(d.side) = 'buy' then 'short'
        end as position_side,
        try_cast(nullif(d.bkPx, '') as double) as price,
        try_cast(nullif(d.sz, '') as double) as quantity_contracts,
        try_cast(nullif(d.bkLoss, '') as double) as bankruptcy_loss,
        md5(concat_ws('|', instrument, d.ts, d.side, d.posSide, d.bkPx, d.sz)) as event_key,
        fetched_at,
        data_mode
    from orders
    where d.ts is not null
),

deduplicated as (
    select *
    from typed
    qualify row_number() over (partition by event_key order by fetched_at desc) = 1
),

sized as (
    select
        deduplicated.*,
        case instruments.contract_unit
            when 'coin' then quantity_contracts * instruments.contract_size
            when 'usd' then quantity_contracts * instruments.contract_size / nullif(price, 0)
        end as quantity_coin
    from deduplicated
    left join {{ ref('stg_okx__instruments') }} as instruments
        on instruments.instrument = deduplicated.instrument
)

select
    cast('okx' as varchar) as exchange,
    cast(asset as varchar) as asset,
    cast(instrument as varchar) as instrument,
    liquidated_at,
    cast(position_side as varchar) as position_side,
    cast(price as double) as price,
    cast(quantity_coin as double) as quantity_coin,
    cast(price * quantity_coin as double) as size_usd,
    cast(event_key as varchar) as event_key,
    cast('rest' as varchar) as liquidation_source,
    cast(data_mode as varchar) as data_mode,
    cast(order_side as varchar) as order_side,
    cast(quantity_contracts as double) as quantity_contracts,
    cast(bankruptcy_loss as double) as bankruptcy_loss,
    cast(instrument_type as varchar) as instrument_type,
    fetched_at
from sized
