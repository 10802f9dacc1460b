-- One row per symbol per /fapi/v1/fundingInfo snapshot: adjusted funding interval and caps.
-- Symbols absent from a snapshot use Binance's default 8 h interval.
with responses as (
    select payload, fetched_at
    from {{ source('binance', 'funding_info') }}
    where http_status = 200 and json_valid(payload)
),

records as (
    select
        unnest(from_json(payload, '[{"symbol":"VARCHAR","adjustedFundingRateCap":"VARCHAR","adjustedFundingRateFloor":"VARCHAR","fundingIntervalHours":"INTEGER"}]')) as r,
        fetched_at
    from responses
)

select
    'binance' as exchange,
    r.symbol as instrument,
    {{ binance_usdm_asset('r.symbol') }} as asset,
    r.fundingIntervalHours as funding_interval_hours,
    try_cast(r.adjustedFundingRateCap as double) as funding_rate_cap,
    try_cast(r.adjustedFundingRateFloor as double) as funding_rate_floor,
    fetched_at as snapshot_at
from records
qualify row_number() over (partition by r.symbol, fetched_at order by fetched_at) = 1
