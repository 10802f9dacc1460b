-- One row per dYdX v4 perpetual per hourly snapshot (instrument, observed_at), from /v4/perpetualMarkets.
-- observed_at is the fetch time. dYdX has no separate mark or index: the oracle price margins positions and
-- serves as both (and as the asset's 'oracle' price). openInterest is in base coin, so USD = coin x oracle.
-- nextFundingRate is the predicted rate of the hour under way, a fraction per hour (interval 1), settled at
-- the next top of the hour. Every dYdX market is the <A>-USD perpetual, the flagship of its asset.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('dydx', 'perpetual_markets') }}
    where http_status = 200 and json_valid(payload)
),

markets as (
    select
        unnest(map_values(from_json(payload, '{"markets":"MAP(VARCHAR, STRUCT(ticker VARCHAR, status VARCHAR, oraclePrice VARCHAR, nextFundingRate VARCHAR, openInterest VARCHAR, baseOpenInterest VARCHAR, volume24H VARCHAR, trades24H BIGINT, priceChange24H VARCHAR, marketType VARCHAR))"}').markets)) as m,
        fetched_at,
        data_mode
    from responses
),

typed as (
    select
        m.ticker as instrument,
        split_part(m.ticker, '-', 1) as asset,
        m.status,
        try_cast(m.oraclePrice as double) as oracle_price,
        try_cast(m.nextFundingRate as double) as funding_rate,
        try_cast(m.openInterest as double) as oi_coin,
        try_cast(m.baseOpenInterest as double) as base_open_interest,
        try_cast(m.volume24H as double) as volume_24h_usd,
        m.trades24H as trades_24h,
        m.marketType as market_type,
        fetched_at,
        data_mode
    from markets
    where m.ticker is not null
    -- The same answer loaded under two partition keys is one observation.
    qualify row_number() over (partition by m.ticker, fetched_at) = 1
)

select
    'dydx' as exchange,
    asset,
    instrument,
    instrument = asset || '-USD' as is_primary,
    fetched_at as observed_at,
    funding_rate,
    cast(1 as double) as funding_interval_hours,
    {{ funding_rate_8h('funding_rate', '1') }} as funding_rate_8h,
    {{ funding_apr('funding_rate', '1') }} as funding_apr,
    date_trunc('hour', fetched_at) + interval 1 hour as next_funding_at,
    oracle_price as mark_price,
    oracle_price as index_price,
    data_mode,
    oi_coin,
    oi_coin * oracle_price as oi_usd,
    cast(null as double) as long_oi_usd,
    cast(null as double) as short_oi_usd,
    'snapshot' as oi_source,
    oracle_price as price,
    'oracle' as price_kind,
    status,
    market_type,
    base_open_interest,
    volume_24h_usd,
    trades_24h,
    fetched_at
from typed
