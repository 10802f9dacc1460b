-- One row per /fapi/v1/openInterest observation; Binance USD-M reports OI in base coin.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('binance', 'open_interest') }}
    where http_status = 200 and json_valid(payload)
),

parsed as (
    select
        from_json(payload, '{"symbol":"VARCHAR","openInterest":"VARCHAR","time":"BIGINT"}') as r,
        fetched_at,
        data_mode
    from responses
)

select
    'binance' as exchange,
    {{ binance_usdm_asset('r.symbol') }} as asset,
    r.symbol as instrument,
    {{ epoch_ms_to_ts('r.time') }} as observed_at,
    try_cast(r.openInterest as double) as oi_coin,
    fetched_at,
    data_mode
from parsed
where r.symbol is not null and r.time is not null
qualify row_number() over (partition by r.symbol, r.time order by fetched_at desc) = 1
