-- One row per (instrument, observed_at) of Binance USD-M /futures/data/openInterestHist (period 1h):
-- sumOpenInterest is in base coin, sumOpenInterestValue in USDT (taken as USD). Binance keeps 30 days only,
-- so older history is what our daily partitions kept. observed_at is the period boundary Binance stamps.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('binance', 'open_interest_history') }}
    where http_status = 200 and json_valid(payload) and json_type(payload) = 'ARRAY'
),

records as (
    select
        -- timestamp is a number in live answers and a string in Binance's documented examples: read both.
        unnest(from_json(payload, '[{"symbol":"VARCHAR","sumOpenInterest":"VARCHAR","sumOpenInterestValue":"VARCHAR","timestamp":"VARCHAR"}]')) as r,
        fetched_at,
        data_mode
    from responses
),

observations as (
    select
        r.symbol as instrument,
        {{ binance_ms_to_ts('r.timestamp') }} as observed_at,
        -- A 1000-multiplied symbol (1000PEPEUSDT) counts units of 1000 coins.
        try_cast(r.sumOpenInterest as double) * {{ binance_coins_per_unit('r.symbol') }} as oi_coin,
        try_cast(r.sumOpenInterestValue as double) as oi_usd,
        fetched_at,
        data_mode
    from records
    where r.symbol is not null and try_cast(r.timestamp as bigint) is not null
    qualify row_number() over (partition by r.symbol, r.timestamp order by fetched_at desc) = 1
)

select
    cast('binance' as varchar) as exchange,
    cast({{ binance_asset('instrument') }} as varchar) as asset,
    cast(instrument as varchar) as instrument,
    cast(instrument like '%USDT' as boolean) as is_primary,
    observed_at,
    cast(oi_coin as double) as oi_coin,
    cast(oi_usd as double) as oi_usd,
    cast(null as double) as long_oi_usd,
    cast(null as double) as short_oi_usd,
    cast('history' as varchar) as oi_source,
    cast(data_mode as varchar) as data_mode,
    fetched_at
from observations
