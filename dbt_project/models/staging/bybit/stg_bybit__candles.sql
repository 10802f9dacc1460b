-- One row per hourly candle of a Bybit perpetual (exchange, instrument, hour_at), linear and inverse.
-- Rows are [start, open, high, low, close, volume, turnover] strings (simulator/venues/bybit.py _kline_row,
-- ingest/venues/bybit/klines.py): volume is in contracts (coin for linear, USD for inverse) and turnover in
-- the quote (USDT for linear, coin for inverse), so coin and USD volume swap places between the two.
-- Bybit candles carry no taker split: taker_buy_coin and taker_sell_coin are null.
-- The candle still open when fetched is kept (is_closed = false): a later fetch of the day replaces it.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('bybit', 'candles_1h') }}
    where http_status = 200 and json_valid(payload)
),

parsed as (
    select
        from_json(payload, '{"retCode":"INTEGER","time":"BIGINT","result":{"category":"VARCHAR","symbol":"VARCHAR","list":[["VARCHAR"]]}}') as body,
        fetched_at,
        data_mode
    from responses
),

records as (
    select
        unnest(body.result.list) as k,
        body.result.category as category,
        body.result.symbol as instrument,
        body.time as venue_time_ms,
        fetched_at,
        data_mode
    from parsed
    -- Errors keep HTTP 200 on Bybit: the failure is in retCode.
    where body.retCode = 0
),

typed as (
    select
        instrument,
        category,
        {{ epoch_ms_to_ts('k[1]') }} as hour_at,
        try_cast(k[2] as double) as open,
        try_cast(k[3] as double) as high,
        try_cast(k[4] as double) as low,
        try_cast(k[5] as double) as close,
        try_cast(k[6] as double) as volume,
        try_cast(k[7] as double) as turnover,
        cast(coalesce({{ epoch_ms_to_ts('venue_time_ms') }}, fetched_at) as timestamptz) as venue_time,
        fetched_at,
        data_mode
    from records
    where instrument is not null and try_cast(k[1] as bigint) is not null
),

deduplicated as (
    -- Overlapping pages and re-fetched days repeat candles: the latest fetch wins (it may have closed since).
    select *
    from typed
    qualify row_number() over (partition by instrument, hour_at order by fetched_at desc) = 1
)

select
    cast('bybit' as varchar) as exchange,
    cast({{ bybit_asset('instrument') }} as varchar) as asset,
    cast(instrument as varchar) as instrument,
    cast(category = 'linear' and instrument like '%USDT' as boolean) as is_primary,
    hour_at,
    open,
    high,
    low,
    close,
    cast(case
        when category = 'inverse' then turnover
        else volume * {{ bybit_coin_multiplier('instrument') }}
    end as double) as volume_coin,
    cast(case when category = 'inverse' then volume else turnover end as double) as volume_usd,
    cast(null as double) as taker_buy_coin,
    cast(null as double) as taker_sell_coin,
    cast(data_mode as varchar) as data_mode,
    cast(category as varchar) as category,
    cast(venue_time >= hour_at + interval 1 hour as boolean) as is_closed,
    fetched_at
from deduplicated
