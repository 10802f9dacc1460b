-- One row per settled funding of a Binance USD-M perpetual (exchange, instrument, funding_at).
-- The interval a settlement covers is the gap since the previous settlement (1, 2, 4 or 8 h; the
-- settlement stamps carry a few ms of jitter, hence the rounding); the first settlement of a series
-- uses the gap to the next one, then the latest fundingInfo, then Binance's default of 8 h.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('binance', 'funding_rates') }}
    where http_status = 200 and json_valid(payload)
),

records as (
    select
        unnest(from_json(payload, '[{"symbol":"VARCHAR","fundingTime":"BIGINT","fundingRate":"VARCHAR","markPrice":"VARCHAR"}]')) as r,
        fetched_at,
        data_mode
    from responses
),

typed as (
    select
        r.symbol as instrument,
        {{ epoch_ms_to_ts('r.fundingTime') }} as funding_at,
        try_cast(r.fundingRate as double) as funding_rate,
        try_cast(nullif(r.markPrice, '') as double) as mark_price,
        fetched_at,
        data_mode
    from records
    where r.symbol is not null and r.fundingTime is not null
),

deduplicated as (
    -- Overlapping pages and re-fetched partitions repeat settlements: keep the latest fetch.
    select *
    from typed
    qualify row_number() over (partition by instrument, funding_at order by fetched_at desc) = 1
),

latest_info as (
    select instrument, funding_interval_hours
    from {{ ref('stg_binance__funding_infos') }}
    qualify row_number() over (partition by instrument order by snapshot_at desc) = 1
),

gaps as (
    select
        *,
        {{ settlement_gaps('funding_at', 'instrument') }}
    from deduplicated
),

with_interval as (
    select
        gaps.*,
        cast({{ interval_from_settlement_gaps('coalesce(latest_info.funding_interval_hours, 8)') }} as double)
            as funding_interval_hours
    from gaps
    left join latest_info using (instrument)
)

select
    cast('binance' as varchar) as exchange,
    cast({{ binance_usdm_asset('instrument') }} as varchar) as asset,
    cast(instrument as varchar) as instrument,
    -- The flagship is the USDT-margined perpetual; USDC-margined perps of the same coin are secondary.
    cast(instrument like '%USDT' as boolean) as is_primary,
    funding_at,
    funding_rate,
    funding_interval_hours,
    cast({{ funding_rate_8h('funding_rate', 'funding_interval_hours') }} as double) as funding_rate_8h,
    cast({{ funding_apr('funding_rate', 'funding_interval_hours') }} as double) as funding_apr,
    mark_price,
    fetched_at,
    cast(data_mode as varchar) as data_mode
from with_interval
