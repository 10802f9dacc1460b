-- One row per hourly candle of a BitMEX perpetual (exchange, instrument, hour_at), from
-- /trade/bucketed?binSize=1h. BitMEX stamps a bin with its CLOSE time (the 01:00 bin covers 00:00-01:00;
-- simulator/venues/bitmex.py _bucket_row, ingest/venues/bitmex/history.py), so hour_at, the candle's
-- start, is the stamp minus one hour. Volumes come in every unit BitMEX has: homeNotional is the base
-- coin and foreignNotional the USD value, whatever the contract kind (inverse, quanto, linear); volume
-- (contracts) and turnover (satoshi) are kept as extras. Buckets carry no taker split: null.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('bitmex', 'candles_1h') }}
    where http_status = 200 and json_valid(payload)
),

records as (
    select
        unnest(from_json(payload, '[{"timestamp":"VARCHAR","symbol":"VARCHAR","open":"DOUBLE","high":"DOUBLE","low":"DOUBLE","close":"DOUBLE","trades":"BIGINT","volume":"DOUBLE","vwap":"DOUBLE","turnover":"DOUBLE","homeNotional":"DOUBLE","foreignNotional":"DOUBLE"}]')) as r,
        fetched_at,
        data_mode
    from responses
    -- An error answer is an object ({"error": ...}), not a list of bins.
    where json_type(payload) = 'ARRAY'
),

typed as (
    select
        r.symbol as instrument,
        try_cast(r.timestamp as timestamptz) - interval 1 hour as hour_at,
        r.open,
        r.high,
        r.low,
        r.close,
        r.trades,
        r.volume as volume_contracts,
        r.vwap,
        r.turnover as turnover_sat,
        r.homeNotional as volume_coin,
        r.foreignNotional as volume_usd,
        fetched_at,
        data_mode
    from records
    -- Hourly bins close on the hour; anything else is not an hourly bin.
    where r.symbol is not null and date_trunc('hour', try_cast(r.timestamp as timestamptz)) = try_cast(r.timestamp as timestamptz)
),

deduplicated as (
    -- Overlapping pages and re-fetched days repeat bins: keep the latest fetch.
    select *
    from typed
    qualify row_number() over (partition by instrument, hour_at order by fetched_at desc) = 1
)

select
    cast('bitmex' as varchar) as exchange,
    cast({{ bitmex_asset('instrument') }} as varchar) as asset,
    cast(instrument as varchar) as instrument,
    -- The flagship is the USD perpetual (XBTUSD, ETHUSD, SOLUSD).
    cast(instrument like '%USD' as boolean) as is_primary,
    hour_at,
    open,
    high,
    low,
    close,
    volume_coin,
    volume_usd,
    cast(null as double) as taker_buy_coin,
    cast(null as double) as taker_sell_coin,
    cast(data_mode as varchar) as data_mode,
    trades,
    volume_contracts,
    vwap,
    turnover_sat,
    fetched_at
from deduplicated
