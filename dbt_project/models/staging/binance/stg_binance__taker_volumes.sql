-- One row per (instrument, hour_at) of Binance USD-M /futures/data/takerlongshortRatio (period 1h): taker buy
-- and sell volume in base coin and their ratio. Rows name no symbol: the request's symbol parameter does.
-- Not read by the intermediate unions (stg_binance__candles carries the same split); kept as a cross-check.
with responses as (
    select payload, request_params, fetched_at, data_mode
    from {{ source('binance', 'taker_long_short_ratio') }}
    where http_status = 200 and json_valid(payload) and json_type(payload) = 'ARRAY'
),

records as (
    select
        json_extract_string(request_params, '$.symbol') as instrument,
        unnest(from_json(payload, '[{"buySellRatio":"VARCHAR","buyVol":"VARCHAR","sellVol":"VARCHAR","timestamp":"VARCHAR"}]')) as r,
        fetched_at,
        data_mode
    from responses
)

select
    cast('binance' as varchar) as exchange,
    cast({{ binance_asset('instrument') }} as varchar) as asset,
    cast(instrument as varchar) as instrument,
    {{ binance_ms_to_ts('r.timestamp') }} as hour_at,
    cast(try_cast(r.buyVol as double) * {{ binance_coins_per_unit('instrument') }} as double) as taker_buy_coin,
    cast(try_cast(r.sellVol as double) * {{ binance_coins_per_unit('instrument') }} as double) as taker_sell_coin,
    cast(try_cast(r.buySellRatio as double) as double) as buy_sell_ratio,
    cast(data_mode as varchar) as data_mode,
    fetched_at
from records
where instrument is not null and try_cast(r.timestamp as bigint) is not null
qualify row_number() over (partition by instrument, r.timestamp order by fetched_at desc) = 1
