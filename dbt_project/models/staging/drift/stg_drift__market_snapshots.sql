-- One row per Drift perpetual per /stats/markets snapshot (instrument, observed_at). The answer is
-- {"success", "markets": [...]} with perp and spot rows (spot rows are left out) and carries no time of its
-- own, so observed_at is when we fetched it.
-- Funding: `fundingRate` is {long, short} in PERCENT per hour, each from that side's point of view (a
-- positive rate means longs pay: long is negative, short positive). funding_rate is what longs pay, as a
-- fraction per hour (-long / 100, else short / 100), the sign convention of every other venue. It is the
-- estimate for the hour now running, settled at the next full hour (Drift settles hourly).
-- (The flat `fundingRate` of reference/exchange_api.md section 8, quote per base x 1e9, belongs to the funding
-- history records and the retired /contracts route, not to this answer.)
-- Open interest: `openInterest` is {long, short} in base units, short negative. Drift's AMM takes the other
-- side of users' net position, so user longs and shorts differ; the market's open interest is the larger
-- side, max(long, |short|) (what Drift's own /contracts reported as open_interest), valued at the oracle
-- price. long_oi_usd and short_oi_usd keep both sides.
-- Prices: markPrice is the perp's mark; the oracle price is Drift's index (index_price) and, on the primary
-- row (<ASSET>-PERP, Drift's only perp per asset), int_spot_prices' 'oracle' price.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('drift', 'markets') }}
    where http_status = 200 and json_valid(payload)
),

markets as (
    select
        unnest(from_json(payload, '{"markets":[{"symbol":"VARCHAR","marketIndex":"INTEGER","marketType":"VARCHAR","baseAsset":"VARCHAR","status":"VARCHAR","oraclePrice":"VARCHAR","markPrice":"VARCHAR","openInterest":{"long":"VARCHAR","short":"VARCHAR"},"fundingRate":{"long":"VARCHAR","short":"VARCHAR"},"fundingRate24h":"VARCHAR","fundingRateUpdateTs":"BIGINT","baseVolume":"VARCHAR","quoteVolume":"VARCHAR"}]}').markets) as m,
        fetched_at,
        data_mode
    from responses
),

typed as (
    select
        m.symbol as instrument,
        m.marketIndex as market_index,
        -- Drift names some markets with a multiplier (1MBONK-PERP, 1KWEN-PERP): users type the coin.
        upper(regexp_replace(coalesce(nullif(m.baseAsset, ''), regexp_replace(m.symbol, '-PERP$', '')), '^(1000|1K|1M)', '')) as asset,
        fetched_at as observed_at,
        try_cast(nullif(m.oraclePrice, '') as double) as oracle_price,
        try_cast(nullif(m.markPrice, '') as double) as mark_price,
        try_cast(nullif(m.openInterest.long, '') as double) as long_oi_coin,
        abs(try_cast(nullif(m.openInterest.short, '') as double)) as short_oi_coin,
        coalesce(
            -try_cast(nullif(m.fundingRate.long, '') as double),
            try_cast(nullif(m.fundingRate.short, '') as double)
        ) / 100.0 as funding_rate,
        try_cast(nullif(m.fundingRate24h, '') as double) / 100.0 as funding_rate_24h_avg,
        case when m.fundingRateUpdateTs > 0 then make_timestamptz(m.fundingRateUpdateTs * 1000000) end as last_funding_update_at,
        try_cast(nullif(m.baseVolume, '') as double) as volume_24h_coin,
        try_cast(nullif(m.quoteVolume, '') as double) as volume_24h_usd,
        m.status as market_status,
        fetched_at,
        data_mode
    from markets
    where m.marketType = 'perp' and m.symbol is not null
),

deduplicated as (
    -- One symbol per snapshot (a repeated row is one market), and a snapshot loaded twice counts once.
    select *
    from typed
    qualify row_number() over (partition by instrument, observed_at order by fetched_at desc) = 1
),

final as (
    select
        *,
        cast(1 as double) as funding_interval_hours,
        -- Drift lists one perp per asset; multiplied markets (1MBONK-PERP, priced per 1M coins) are not primary,
        -- so their prices stay out of the per-asset tables.
        instrument = asset || '-PERP' as is_primary,
        greatest(long_oi_coin, short_oi_coin) as oi_coin
    from deduplicated
)

select
    cast('drift' as varchar) as exchange,
    cast(asset as varchar) as asset,
    cast(instrument as varchar) as instrument,
    cast(is_primary as boolean) as is_primary,
    observed_at,
    cast(funding_rate as double) as funding_rate,
    funding_interval_hours,
    cast({{ funding_rate_8h('funding_rate', 'funding_interval_hours') }} as double) as funding_rate_8h,
    cast({{ funding_apr('funding_rate', 'funding_interval_hours') }} as double) as funding_apr,
    cast(date_trunc('hour', observed_at) + interval 1 hour as timestamptz) as next_funding_at,
    cast(mark_price as double) as mark_price,
    cast(oracle_price as double) as index_price,
    cast(data_mode as varchar) as data_mode,
    cast(oi_coin as double) as oi_coin,
    cast(oi_coin * oracle_price as double) as oi_usd,
    cast(long_oi_coin * oracle_price as double) as long_oi_usd,
    cast(short_oi_coin * oracle_price as double) as short_oi_usd,
    cast('snapshot' as varchar) as oi_source,
    cast(case when is_primary then oracle_price end as double) as price,
    cast('oracle' as varchar) as price_kind,
    cast(long_oi_coin as double) as long_oi_coin,
    cast(short_oi_coin as double) as short_oi_coin,
    cast(funding_rate_24h_avg as double) as funding_rate_24h_avg,
    last_funding_update_at,
    cast(volume_24h_coin as double) as volume_24h_coin,
    cast(volume_24h_usd as double) as volume_24h_usd,
    market_index,
    cast(market_status as varchar) as market_status,
    fetched_at
from final
