-- One row per /fapi/v1/premiumIndex observation: mark and index price, the open period's funding
-- rate (applied at next_funding_at) and the venue's own timestamp of the observation.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('binance', 'premium_index') }}
    where http_status = 200 and json_valid(payload)
),

parsed as (
    select
        from_json(payload, '{"symbol":"VARCHAR","markPrice":"VARCHAR","indexPrice":"VARCHAR","estimatedSettlePrice":"VARCHAR","lastFundingRate":"VARCHAR","interestRate":"VARCHAR","nextFundingTime":"BIGINT","time":"BIGINT"}') as r,
        fetched_at,
        data_mode
    from responses
)

select
    'binance' as exchange,
    {{ binance_usdm_asset('r.symbol') }} as asset,
    r.symbol as instrument,
    {{ epoch_ms_to_ts('r.time') }} as observed_at,
    try_cast(r.markPrice as double) as mark_price,
    try_cast(r.indexPrice as double) as index_price,
    try_cast(r.lastFundingRate as double) as current_funding_rate,
    try_cast(r.interestRate as double) as interest_rate,
    {{ epoch_ms_to_ts('r.nextFundingTime') }} as next_funding_at,
    fetched_at,
    data_mode
from parsed
where r.symbol is not null and r.time is not null
qualify row_number() over (partition by r.symbol, r.time order by fetched_at desc) = 1
