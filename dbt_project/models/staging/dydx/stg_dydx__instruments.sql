-- One row per dYdX v4 perpetual market in the latest /v4/perpetualMarkets snapshot, deduplicated. Markets
-- come keyed by ticker (BTC-USD); dYdX lists perpetuals only, sizes and open interest in base coin,
-- collateral and settlement in USDC, funding every hour.
with responses as (
    select payload, partition_key, fetched_at
    from {{ source('dydx', 'perpetual_markets') }}
    where http_status = 200 and json_valid(payload)
),

latest as (
    select payload, fetched_at
    from responses
    where partition_key = (select arg_max(partition_key, fetched_at) from responses)
),

markets as (
    select
        unnest(map_values(from_json(payload, '{"markets":"MAP(VARCHAR, STRUCT(ticker VARCHAR, status VARCHAR))"}').markets)) as m,
        fetched_at
    from latest
)

select
    'dydx' as exchange,
    m.ticker as instrument,
    split_part(m.ticker, '-', 1) as asset,
    'perpetual' as kind,
    split_part(m.ticker, '-', 2) as quote_currency,
    'USDC' as settlement_currency,
    cast(1 as double) as contract_size,
    'coin' as contract_unit,
    cast(null as timestamptz) as expiry_at,
    cast(null as double) as strike,
    cast(null as varchar) as option_type,
    cast(1 as double) as funding_interval_hours,
    -- PAUSED, CANCEL_ONLY, POST_ONLY, INITIALIZING and FINAL_SETTLEMENT markets do not trade normally.
    m.status = 'ACTIVE' as is_active,
    fetched_at as observed_at
from markets
where m.ticker is not null
qualify row_number() over (partition by m.ticker order by fetched_at desc) = 1
