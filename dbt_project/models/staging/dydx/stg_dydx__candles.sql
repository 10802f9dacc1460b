-- One row per dYdX v4 hourly candle (instrument, hour_at), from /v4/candles/perpetualMarkets/{ticker}
-- (resolution 1HOUR; other resolutions are left out, they would repeat hours). Volumes: baseTokenVolume in coin,
-- usdVolume in USD; the indexer does not split taker buys from sells. startingOpenInterest (coin) is the open
-- interest when the candle opened, dYdX's only open-interest history: observed_at = hour_at, oi_source
-- 'history', USD at the candle's open price. Today's partition holds the candle still open (is_complete false);
-- a later fetch of the same hour wins.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('dydx', 'candles_1h') }}
    where http_status = 200 and json_valid(payload)
),

records as (
    select
        unnest(from_json(payload, '{"candles":[{"startedAt":"VARCHAR","ticker":"VARCHAR","resolution":"VARCHAR","open":"VARCHAR","high":"VARCHAR","low":"VARCHAR","close":"VARCHAR","baseTokenVolume":"VARCHAR","usdVolume":"VARCHAR","trades":"BIGINT","startingOpenInterest":"VARCHAR","orderbookMidPriceOpen":"VARCHAR","orderbookMidPriceClose":"VARCHAR"}]}').candles) as c,
        fetched_at,
        data_mode
    from responses
),

typed as (
    select
        c.ticker as instrument,
        try_cast(c.startedAt as timestamptz) as hour_at,
        try_cast(c.open as double) as open,
        try_cast(c.high as double) as high,
        try_cast(c.low as double) as low,
        try_cast(c.close as double) as close,
        try_cast(c.baseTokenVolume as double) as volume_coin,
        try_cast(c.usdVolume as double) as volume_usd,
        c.trades,
        try_cast(c.startingOpenInterest as double) as oi_coin,
        try_cast(c.orderbookMidPriceOpen as double) as orderbook_mid_open,
        try_cast(c.orderbookMidPriceClose as double) as orderbook_mid_close,
        fetched_at,
        data_mode
    from records
    where c.resolution = '1HOUR' and c.ticker is not null
)

select
    'dydx' as exchange,
    split_part(instrument, '-', 1) as asset,
    instrument,
    instrument = split_part(instrument, '-', 1) || '-USD' as is_primary,
    hour_at as observed_at,
    oi_coin,
    oi_coin * open as oi_usd,
    cast(null as double) as long_oi_usd,
    cast(null as double) as short_oi_usd,
    'history' as oi_source,
    data_mode,
    hour_at,
    open,
    high,
    low,
    close,
    volume_coin,
    volume_usd,
    cast(null as double) as taker_buy_coin,
    cast(null as double) as taker_sell_coin,
    trades,
    orderbook_mid_open,
    orderbook_mid_close,
    hour_at + interval 1 hour <= fetched_at as is_complete,
    fetched_at
from typed
where hour_at is not null
qualify row_number() over (partition by instrument, hour_at order by fetched_at desc) = 1
