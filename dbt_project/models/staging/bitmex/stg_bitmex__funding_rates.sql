-- One row per settled funding of a BitMEX perpetual (exchange, instrument, funding_at), from /funding.
-- Each record states its own interval as fundingInterval, a duration written as an offset from
-- 2000-01-01 ("2000-01-01T08:00:00.000Z" = 8 h; reference/exchange_api.md section 5); settlements fall
-- at 04:00, 12:00 and 20:00 UTC. fundingRate is a plain fraction per interval; fundingRateDaily (x 3)
-- is kept as an extra, not used to annualise.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('bitmex', 'funding_rates') }}
    where http_status = 200 and json_valid(payload)
),

records as (
    select
        unnest(from_json(payload, '[{"timestamp":"VARCHAR","symbol":"VARCHAR","fundingInterval":"VARCHAR","fundingRate":"DOUBLE","fundingRateDaily":"DOUBLE"}]')) as r,
        fetched_at,
        data_mode
    from responses
    -- An error answer is an object ({"error": ...}), not a list of records.
    where json_type(payload) = 'ARRAY'
),

typed as (
    select
        r.symbol as instrument,
        try_cast(r.timestamp as timestamptz) as funding_at,
        r.fundingRate as funding_rate,
        epoch(try_cast(r.fundingInterval as timestamptz) - timestamptz '2000-01-01 00:00:00+00') / 3600.0
            as interval_from_record,
        r.fundingRateDaily as funding_rate_daily,
        fetched_at,
        data_mode
    from records
    where r.symbol is not null and try_cast(r.timestamp as timestamptz) is not null
),

deduplicated as (
    -- Overlapping pages and re-fetched days repeat settlements: keep the latest fetch.
    select *
    from typed
    qualify row_number() over (partition by instrument, funding_at order by fetched_at desc) = 1
)

select
    cast('bitmex' as varchar) as exchange,
    cast({{ bitmex_asset('instrument') }} as varchar) as asset,
    cast(instrument as varchar) as instrument,
    -- The flagship is the USD perpetual (XBTUSD, ETHUSD, SOLUSD); USDT-margined perps are secondary.
    cast(instrument like '%USD' as boolean) as is_primary,
    funding_at,
    funding_rate,
    -- A record without a readable interval falls back to 8 h, the interval of every BitMEX perpetual in the
    -- reference and the recordings (settlements at 04:00, 12:00, 20:00).
    cast(coalesce(interval_from_record, 8) as double) as funding_interval_hours,
    cast({{ funding_rate_8h('funding_rate', 'coalesce(interval_from_record, 8)') }} as double) as funding_rate_8h,
    cast({{ funding_apr('funding_rate', 'coalesce(interval_from_record, 8)') }} as double) as funding_apr,
    funding_rate_daily,
    fetched_at,
    cast(data_mode as varchar) as data_mode
from deduplicated
