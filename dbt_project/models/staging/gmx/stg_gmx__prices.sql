-- One oracle price per GMX market asset per hourly snapshot (asset, observed_at), from /prices/tickers.
-- observed_at is the fetch time (updated_at, the keeper's last push, is kept). The oracle sends USD per whole
-- token scaled by 10^(30 - token decimals), and the tickers do not say the decimals: they come from the
-- token list below (tokens missing from it get no price). The price is the mid of minPrice and maxPrice.
-- Only index tokens of perpetual markets (any /markets or /markets/info snapshot) count, and where a coin is
-- listed wrapped and unwrapped (BTC and WBTC) the unwrapped one wins: one price per asset.
with token_decimals (token_symbol, decimals) as (
    values ('BTC', 8), ('WBTC', 8), ('ETH', 18), ('WETH', 18), ('SOL', 9), ('LINK', 18), ('ARB', 18),
        ('UNI', 18), ('USDC', 6), ('USDT', 6), ('DAI', 18)
),

index_tokens as (
    select distinct lower(m.indexToken) as token_address
    from (
        select unnest(from_json(payload, '{"markets":[{"indexToken":"VARCHAR"}]}').markets) as m
        from {{ source('gmx', 'markets') }}
        where http_status = 200 and json_valid(payload)
        union all
        select unnest(from_json(payload, '{"markets":[{"indexToken":"VARCHAR"}]}').markets) as m
        from {{ source('gmx', 'markets_info') }}
        where http_status = 200 and json_valid(payload)
    )
    where m.indexToken is not null
),

responses as (
    select payload, fetched_at, partition_key, data_mode
    from {{ source('gmx', 'tickers') }}
    where http_status = 200 and json_valid(payload)
),

tickers as (
    select
        unnest(from_json(payload, '[{"tokenAddress":"VARCHAR","tokenSymbol":"VARCHAR","minPrice":"VARCHAR","maxPrice":"VARCHAR","updatedAt":"BIGINT"}]')) as t,
        fetched_at,
        partition_key,
        data_mode
    from responses
),

priced as (
    select
        t.tokenSymbol as token_symbol,
        t.tokenAddress as token_address,
        case when t.tokenSymbol in ('WBTC', 'WETH') then substr(t.tokenSymbol, 2) else t.tokenSymbol end as asset,
        (try_cast(t.minPrice as double) + try_cast(t.maxPrice as double)) / 2
        / pow(10, 30 - token_decimals.decimals) as price,
        try_cast(t.minPrice as double) / pow(10, 30 - token_decimals.decimals) as min_price,
        try_cast(t.maxPrice as double) / pow(10, 30 - token_decimals.decimals) as max_price,
        {{ epoch_ms_to_ts('t.updatedAt') }} as updated_at,
        fetched_at,
        partition_key,
        data_mode
    from tickers
    inner join index_tokens on lower(tickers.t.tokenAddress) = index_tokens.token_address
    inner join token_decimals on tickers.t.tokenSymbol = token_decimals.token_symbol
)

select
    'gmx' as exchange,
    asset,
    fetched_at as observed_at,
    price,
    'oracle' as price_kind,
    data_mode,
    token_symbol,
    token_address,
    min_price,
    max_price,
    updated_at,
    partition_key,
    fetched_at
from priced
where price is not null
qualify row_number() over (partition by asset, fetched_at order by token_symbol = asset desc, token_symbol) = 1
