-- One row per hourly funding settlement of a Drift perpetual (instrument, funding_at), from the daily route
-- /market/{symbol}/fundingRates/{year}/{month}/{day} ({"success", "records": [...]}, oldest first).
-- Units: on this route `fundingRate` is quote per base for the hour (already divided by Drift's 1e9) and
-- `oraclePriceTwap` is in quote (already divided by 1e6), so the hourly fraction is
-- fundingRate / oraclePriceTwap (reference/exchange_api.md section 8), positive when longs pay. The legacy
-- /fundingRates route sends the same fields as undivided protocol integers; it is not ingested, and its rows
-- would be 1,000 times off, so only the /market/... routes are read.
-- Settlement is lazy: a keeper lands each update seconds to a minute after the hour (`ts`, unix seconds),
-- so funding_at is that hour (settled_at keeps the landing time) and the interval is always 1 h.
with responses as (
    select payload, endpoint, fetched_at, data_mode
    from {{ source('drift', 'funding_rates') }}
    where http_status = 200 and json_valid(payload) and endpoint like '/market/%'
),

records as (
    select
        unnest(from_json(payload, '{"records":[{"ts":"BIGINT","txSig":"VARCHAR","recordId":"VARCHAR","symbol":"VARCHAR","marketIndex":"INTEGER","fundingRate":"VARCHAR","fundingRateLong":"VARCHAR","fundingRateShort":"VARCHAR","oraclePriceTwap":"VARCHAR","markPriceTwap":"VARCHAR"}]}').records) as r,
        -- The symbol is in the path too (/market/SOL-PERP/fundingRates/...), for records that omit it.
        regexp_extract(endpoint, '^/market/([^/]+)/', 1) as path_symbol,
        fetched_at,
        data_mode
    from responses
),

typed as (
    select
        coalesce(nullif(r.symbol, ''), path_symbol) as instrument,
        make_timestamptz(r.ts * 1000000) as settled_at,
        date_trunc('hour', make_timestamptz(r.ts * 1000000)) as funding_at,
        try_cast(nullif(r.fundingRate, '') as double) as funding_rate_quote,
        try_cast(nullif(r.oraclePriceTwap, '') as double) as oracle_price_twap,
        try_cast(nullif(r.markPriceTwap, '') as double) as mark_price_twap,
        r.recordId as record_id,
        r.txSig as tx_sig,
        fetched_at,
        data_mode
    from records
    where r.ts is not null
),

deduplicated as (
    -- Re-fetched days repeat settlements: the latest fetch wins.
    select *
    from typed
    where instrument is not null
    qualify row_number() over (partition by instrument, funding_at order by fetched_at desc, settled_at desc) = 1
),

final as (
    select
        *,
        upper(regexp_replace(regexp_replace(instrument, '-PERP$', ''), '^(1000|1K|1M)', '')) as asset,
        funding_rate_quote / nullif(oracle_price_twap, 0) as funding_rate,
        cast(1 as double) as funding_interval_hours
    from deduplicated
)

select
    cast('drift' as varchar) as exchange,
    cast(asset as varchar) as asset,
    cast(instrument as varchar) as instrument,
    -- Multiplied markets (1MBONK-PERP) are priced per 1M coins: not primary, so they stay out of per-asset marts.
    cast(instrument = asset || '-PERP' as boolean) as is_primary,
    funding_at,
    cast(funding_rate as double) as funding_rate,
    funding_interval_hours,
    cast({{ funding_rate_8h('funding_rate', 'funding_interval_hours') }} as double) as funding_rate_8h,
    cast({{ funding_apr('funding_rate', 'funding_interval_hours') }} as double) as funding_apr,
    cast(data_mode as varchar) as data_mode,
    settled_at,
    cast(funding_rate_quote as double) as funding_rate_quote,
    cast(oracle_price_twap as double) as oracle_price_twap,
    cast(mark_price_twap as double) as mark_price_twap,
    cast(record_id as varchar) as record_id,
    cast(tx_sig as varchar) as tx_sig,
    fetched_at
from final
