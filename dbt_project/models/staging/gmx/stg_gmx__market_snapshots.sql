-- One row per GMX v2 market per hourly snapshot (instrument = market token, observed_at = fetch time), from
-- /markets/info. Positions are USD amounts against the pool, so open interest is two-sided: openInterestLong
-- and openInterestShort (USD x 1e30) are separate positions and oi_usd is their sum; oi_coin = oi_usd / the
-- index token's oracle price fetched in the same run (stg_gmx__prices, the nearest within 30 minutes), which
-- also serves as mark and index (GMX executes at the oracle). Funding accrues every second at a rate per
-- side: fundingRateLong/Short are annualised fractions x 1e30, positive for the side that receives (the
-- reference's example: longs at -0.234 pay, shorts at +0.286 receive). funding_rate is what longs PAY per
-- hour (-fundingRateLong / 8760), interval 1, so it reads like other venues' rates (positive = longs pay);
-- there is no funding time (next_funding_at null). Borrowing fees are separate and kept as columns.
-- is_primary: per asset, the <A>/USD pool backed by USDC ([WBTC-USDC]), else the lowest market address.
with responses as (
    select payload, fetched_at, partition_key, data_mode
    from {{ source('gmx', 'markets_info') }}
    where http_status = 200 and json_valid(payload)
),

records as (
    select
        unnest(from_json(payload, '{"markets":[{"name":"VARCHAR","marketToken":"VARCHAR","indexToken":"VARCHAR","isListed":"BOOLEAN","isDisabled":"BOOLEAN","openInterestLong":"VARCHAR","openInterestShort":"VARCHAR","fundingRateLong":"VARCHAR","fundingRateShort":"VARCHAR","borrowingRateLong":"VARCHAR","borrowingRateShort":"VARCHAR","netRateLong":"VARCHAR","netRateShort":"VARCHAR","availableLiquidityLong":"VARCHAR","availableLiquidityShort":"VARCHAR"}]}').markets) as m,
        fetched_at,
        partition_key,
        data_mode
    from responses
),

typed as (
    select
        records.m.marketToken as instrument,
        records.m.name as market_name,
        coalesce(instruments.asset, nullif(upper(split_part(records.m.name, '/', 1)), '')) as asset,
        records.m.isDisabled as is_disabled,
        try_cast(records.m.openInterestLong as double) / 1e30 as long_oi_usd,
        try_cast(records.m.openInterestShort as double) / 1e30 as short_oi_usd,
        try_cast(records.m.fundingRateLong as double) / 1e30 as funding_apr_long,
        try_cast(records.m.fundingRateShort as double) / 1e30 as funding_apr_short,
        try_cast(records.m.borrowingRateLong as double) / 1e30 as borrowing_apr_long,
        try_cast(records.m.borrowingRateShort as double) / 1e30 as borrowing_apr_short,
        try_cast(records.m.netRateLong as double) / 1e30 as net_apr_long,
        try_cast(records.m.netRateShort as double) / 1e30 as net_apr_short,
        try_cast(records.m.availableLiquidityLong as double) / 1e30 as available_liquidity_long_usd,
        try_cast(records.m.availableLiquidityShort as double) / 1e30 as available_liquidity_short_usd,
        records.fetched_at,
        records.partition_key,
        records.data_mode
    from records
    left join {{ ref('stg_gmx__instruments') }} as instruments on records.m.marketToken = instruments.instrument
    -- Swap-only pools have no index token and no positions.
    where records.m.marketToken is not null
        and coalesce(records.m.indexToken, '') <> '0x0000000000000000000000000000000000000000'
    qualify row_number() over (partition by records.m.marketToken, records.fetched_at) = 1
),

primary_markets as (
    select distinct on (asset) asset, instrument
    from (select distinct asset, instrument, market_name from typed)
    order by asset, market_name like asset || '/USD [%-USDC]' desc, lower(instrument)
),

with_prices as (
    select
        typed.*,
        prices.price as oracle_price,
        primary_markets.instrument is not null as is_primary
    from typed
    -- The tickers fetched in the same hourly run: the nearest within half an hour.
    left join {{ ref('stg_gmx__prices') }} as prices
        on typed.asset = prices.asset
        and prices.observed_at between typed.fetched_at - interval 30 minute and typed.fetched_at + interval 30 minute
    left join primary_markets on typed.instrument = primary_markets.instrument
    qualify row_number() over (
        partition by typed.instrument, typed.fetched_at
        order by abs(epoch(prices.observed_at) - epoch(typed.fetched_at)) nulls last
    ) = 1
)

select
    'gmx' as exchange,
    asset,
    instrument,
    is_primary,
    fetched_at as observed_at,
    -funding_apr_long / 8760.0 as funding_rate,
    cast(1 as double) as funding_interval_hours,
    {{ funding_rate_8h('-funding_apr_long / 8760.0', '1') }} as funding_rate_8h,
    {{ funding_apr('-funding_apr_long / 8760.0', '1') }} as funding_apr,
    cast(null as timestamptz) as next_funding_at,
    oracle_price as mark_price,
    oracle_price as index_price,
    data_mode,
    (long_oi_usd + short_oi_usd) / oracle_price as oi_coin,
    long_oi_usd + short_oi_usd as oi_usd,
    long_oi_usd,
    short_oi_usd,
    'snapshot' as oi_source,
    market_name,
    is_disabled,
    -- The per-side rates as received (annualised fractions, positive = that side receives), and what shorts
    -- pay per hour, for the side-aware reader.
    funding_apr_long,
    funding_apr_short,
    -funding_apr_short / 8760.0 as funding_rate_short_pays,
    borrowing_apr_long,
    borrowing_apr_short,
    net_apr_long,
    net_apr_short,
    available_liquidity_long_usd,
    available_liquidity_short_usd,
    partition_key,
    fetched_at
from with_prices
