-- One row per GMX v2 market of the latest /markets snapshot. A market is a perpetual on its index
-- token, sized and settled in USD terms (positions and open interest are USD amounts), with funding
-- accruing every second (interval 0 = continuous). Several pools can share an index token
-- (BTC/USD [WBTC-USDC] and BTC/USD [BTC-BTC]), so the instrument is the market token address. The
-- asset is the index token's oracle symbol from the latest /prices/tickers snapshot, wrapped tokens
-- read as their coin. Swap-only pools (zero index token) have no perpetual and are left out.
with latest_markets as (
    select payload, fetched_at
    from {{ source('gmx', 'markets') }}
    where http_status = 200 and json_valid(payload)
    qualify row_number() over (order by fetched_at desc, page) = 1
),

markets as (
    select
        unnest(from_json(payload, '{"markets":[{"marketToken":"VARCHAR","indexToken":"VARCHAR","longToken":"VARCHAR","shortToken":"VARCHAR","isListed":"BOOLEAN","listingDate":"VARCHAR"}]}').markets) as m,
        fetched_at
    from latest_markets
),

latest_tickers as (
    select payload
    from {{ source('gmx', 'tickers') }}
    where http_status = 200 and json_valid(payload)
    qualify row_number() over (order by fetched_at desc, page) = 1
),

token_symbols as (
    select
        lower(t.tokenAddress) as token_address,
        case when t.tokenSymbol in ('WBTC', 'WETH') then substr(t.tokenSymbol, 2) else t.tokenSymbol end as coin
    from (
        select unnest(from_json(payload, '[{"tokenAddress":"VARCHAR","tokenSymbol":"VARCHAR"}]')) as t
        from latest_tickers
    )
    qualify row_number() over (partition by lower(t.tokenAddress) order by t.tokenSymbol) = 1
)

select
    cast('gmx' as varchar) as exchange,
    cast(markets.m.marketToken as varchar) as instrument,
    cast(token_symbols.coin as varchar) as asset,
    cast('perpetual' as varchar) as kind,
    cast('USD' as varchar) as quote_currency,
    cast('USD' as varchar) as settlement_currency,
    cast(1 as double) as contract_size,
    cast('usd' as varchar) as contract_unit,
    cast(null as timestamptz) as expiry_at,
    cast(null as double) as strike,
    cast(null as varchar) as option_type,
    cast(0 as double) as funding_interval_hours,
    coalesce(markets.m.isListed, false) as is_active,
    markets.fetched_at as observed_at
from markets
left join token_symbols on lower(markets.m.indexToken) = token_symbols.token_address
where markets.m.marketToken is not null
    and markets.m.indexToken <> '0x0000000000000000000000000000000000000000'
qualify row_number() over (partition by markets.m.marketToken order by markets.fetched_at desc) = 1
