-- One row per (instrument, hour_at) hourly candle of a Binance USD-M perpetual (/fapi/v1/klines, interval 1h).
-- Rows are arrays that name no symbol: the request's symbol parameter does. Elements (0-based): 0 open time,
-- 1-4 OHLC, 5 volume (base), 6 close time, 7 quote volume (USDT, taken as USD), 8 trades, 9 taker buy base
-- volume, 10 taker buy quote volume. Binance's taker buy volume is the aggressor-buy side; the rest of the
-- volume was sold by takers (taker_sell = volume - taker buy). A candle still open when fetched is left out
-- (it changes until its hour closes); a later fetch of the closed candle wins.
-- 1000-multiplied symbols (1000PEPEUSDT) quote prices per 1000 coins and volumes in units of 1000 coins.
with responses as (
    select payload, request_params, fetched_at, data_mode
    from {{ source('binance', 'klines_1h') }}
    where http_status = 200 and json_valid(payload) and json_type(payload) = 'ARRAY'
),

records as (
    select
        json_extract_string(request_params, '$.symbol') as instrument,
        unnest(from_json(payload, '[["VARCHAR"]]')) as k,
        fetched_at,
        data_mode
    from responses
),

typed as (
    select
        instrument,
        {{ binance_coins_per_unit('instrument') }} as coins_per_unit,
        {{ binance_ms_to_ts('k[1]') }} as hour_at,
        {{ binance_ms_to_ts('k[7]') }} as close_at,
        try_cast(k[2] as double) as open,
        try_cast(k[3] as double) as high,
        try_cast(k[4] as double) as low,
        try_cast(k[5] as double) as close,
        try_cast(k[6] as double) as volume,
        try_cast(k[8] as double) as quote_volume,
        try_cast(k[9] as bigint) as trade_count,
        try_cast(k[10] as double) as taker_buy_volume,
        fetched_at,
        data_mode
    from records
    where instrument is not null and len(k) >= 10 and try_cast(k[1] as bigint) is not null
),

closed as (
    select *
    from typed
    where close_at < fetched_at
    qualify row_number() over (partition by instrument, hour_at order by fetched_at desc) = 1
)

select
    cast('binance' as varchar) as exchange,
    cast({{ binance_asset('instrument') }} as varchar) as asset,
    cast(instrument as varchar) as instrument,
    cast(instrument like '%USDT' as boolean) as is_primary,
    hour_at,
    cast(open / coins_per_unit as double) as open,
    cast(high / coins_per_unit as double) as high,
    cast(low / coins_per_unit as double) as low,
    cast(close / coins_per_unit as double) as close,
    cast(volume * coins_per_unit as double) as volume_coin,
    cast(quote_volume as double) as volume_usd,
    cast(taker_buy_volume * coins_per_unit as double) as taker_buy_coin,
    cast((volume - taker_buy_volume) * coins_per_unit as double) as taker_sell_coin,
    cast(data_mode as varchar) as data_mode,
    trade_count,
    fetched_at
from closed
