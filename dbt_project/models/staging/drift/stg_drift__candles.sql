-- One row per complete hour of a Drift perpetual's trading (instrument, hour_at), rolled up from the
-- 5-minute candles of /market/{symbol}/candles/5 ({"success", "records": [...]}, newest first; records name
-- no market, the path does). Each record has `ts` (the bar's open, unix seconds), fill (traded) and oracle
-- OHLC, baseVolume (coin) and quoteVolume (USDC, taken as USD).
-- The hour: open = first bar's open, close = last bar's close, high/low the extremes, volumes summed; prices
-- are fills (what traded on Drift, like the other venues' candles), the oracle's close is kept beside them.
-- Only complete hours (all 12 bars) are kept: a partial hour (the hour still forming, or a page cut short)
-- would understate volume and misstate open or close. Drift does not split volume by taker side.
with responses as (
    select
        payload,
        regexp_extract(endpoint, '^/market/([^/]+)/candles/([^/]+)$', 1) as instrument,
        regexp_extract(endpoint, '^/market/([^/]+)/candles/([^/]+)$', 2) as resolution,
        fetched_at,
        data_mode
    from {{ source('drift', 'candles') }}
    where http_status = 200 and json_valid(payload)
),

records as (
    select
        unnest(from_json(payload, '{"records":[{"ts":"BIGINT","fillOpen":"DOUBLE","fillHigh":"DOUBLE","fillLow":"DOUBLE","fillClose":"DOUBLE","oracleOpen":"DOUBLE","oracleHigh":"DOUBLE","oracleLow":"DOUBLE","oracleClose":"DOUBLE","quoteVolume":"DOUBLE","baseVolume":"DOUBLE"}]}').records) as r,
        instrument,
        fetched_at,
        data_mode
    from responses
    where resolution = '5' and instrument <> ''
),

bars as (
    -- Overlapping pages and re-fetched days repeat bars: the latest fetch wins.
    select
        instrument,
        make_timestamptz(r.ts * 1000000) as bar_at,
        r.fillOpen as open,
        r.fillHigh as high,
        r.fillLow as low,
        r.fillClose as close,
        r.oracleClose as oracle_close,
        r.baseVolume as volume_coin,
        r.quoteVolume as volume_usd,
        fetched_at,
        data_mode
    from records
    where r.ts is not null
    qualify row_number() over (partition by instrument, r.ts order by fetched_at desc) = 1
),

hours as (
    select
        instrument,
        date_trunc('hour', bar_at) as hour_at,
        arg_min(open, bar_at) as open,
        max(high) as high,
        min(low) as low,
        arg_max(close, bar_at) as close,
        arg_max(oracle_close, bar_at) as oracle_close,
        sum(volume_coin) as volume_coin,
        sum(volume_usd) as volume_usd,
        count(*) as bar_count,
        max(fetched_at) as fetched_at,
        arg_max(data_mode, fetched_at) as data_mode
    from bars
    group by instrument, date_trunc('hour', bar_at)
)

select
    cast('drift' as varchar) as exchange,
    cast(upper(regexp_replace(regexp_replace(instrument, '-PERP$', ''), '^(1000|1K|1M)', '')) as varchar) as asset,
    cast(instrument as varchar) as instrument,
    -- Multiplied markets (1MBONK-PERP) are priced per 1M coins: not primary, so their prices stay out.
    cast(instrument like '%-PERP' and not regexp_matches(instrument, '^(1000|1K|1M)') as boolean) as is_primary,
    hour_at,
    cast(open as double) as open,
    cast(high as double) as high,
    cast(low as double) as low,
    cast(close as double) as close,
    cast(volume_coin as double) as volume_coin,
    cast(volume_usd as double) as volume_usd,
    cast(null as double) as taker_buy_coin,
    cast(null as double) as taker_sell_coin,
    cast(data_mode as varchar) as data_mode,
    cast(oracle_close as double) as oracle_close,
    fetched_at
from hours
where bar_count = 12
