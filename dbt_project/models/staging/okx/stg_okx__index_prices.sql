-- One row per OKX index observation (index instrument, observed_at): BTC-USD, BTC-USDT, ... from
-- /market/index-tickers, which our snapshots ask for once per quote currency (USD, USDT).
-- Every index keeps index_price, so that each contract can be compared with the index it is marked
-- against (USDT-margined products with BTC-USDT, coin-margined ones and options with BTC-USD). Only one
-- row per asset and snapshot carries `price` (what int_spot_prices reads): the USD index, else the USDT
-- one. USD is preferred because it is OKX's composite of USD-quoted spot prices, the same kind of number
-- as Deribit's btc_usd or BitMEX's .BXBT, so cross-venue comparisons do not carry the USDT/USD spread.
with responses as (
    select payload, partition_key, fetched_at, data_mode
    from {{ source('okx', 'index_tickers') }}
    where http_status = 200 and json_valid(payload) and json_extract_string(payload, '$.code') = '0'
),

records as (
    select
        unnest(from_json(payload, '{"data":[{"instId":"VARCHAR","idxPx":"VARCHAR","open24h":"VARCHAR","high24h":"VARCHAR","low24h":"VARCHAR","sodUtc0":"VARCHAR","ts":"BIGINT"}]}').data) as r,
        partition_key,
        fetched_at,
        data_mode
    from responses
),

typed as (
    select
        r.instId as instrument,
        upper(split_part(r.instId, '-', 1)) as asset,
        upper(split_part(r.instId, '-', 2)) as quote_currency,
        {{ epoch_ms_to_ts('r.ts') }} as observed_at,
        try_cast(nullif(r.idxPx, '') as double) as index_price,
        try_cast(nullif(r.open24h, '') as double) as open_24h,
        try_cast(nullif(r.high24h, '') as double) as high_24h,
        try_cast(nullif(r.low24h, '') as double) as low_24h,
        partition_key,
        fetched_at,
        data_mode
    from records
    where r.instId is not null and r.ts is not null and try_cast(nullif(r.idxPx, '') as double) > 0
),

deduplicated as (
    -- The same answer loaded into two partitions repeats observations: the latest fetch wins.
    select *
    from typed
    qualify row_number() over (partition by instrument, observed_at order by fetched_at desc) = 1
),

ranked as (
    select
        *,
        row_number() over (
            partition by asset, partition_key
            order by case quote_currency when 'USD' then 1 when 'USDT' then 2 else 3 end, observed_at desc
        ) as quote_rank
    from deduplicated
    where quote_currency in ('USD', 'USDT', 'USDC')
)

select
    cast('okx' as varchar) as exchange,
    cast(asset as varchar) as asset,
    cast(instrument as varchar) as instrument,
    cast(quote_currency as varchar) as quote_currency,
    observed_at,
    cast(case when quote_rank = 1 then index_price end as double) as price,
    cast('index' as varchar) as price_kind,
    cast(index_price as double) as index_price,
    cast(quote_rank = 1 as boolean) as is_preferred,
    open_24h,
    high_24h,
    low_24h,
    cast(partition_key as varchar) as partition_key,
    fetched_at,
    cast(data_mode as varchar) as data_mode
from ranked
