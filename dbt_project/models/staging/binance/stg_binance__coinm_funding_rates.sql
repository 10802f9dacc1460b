-- One row per settled funding of a Binance COIN-M (inverse) perpetual (exchange, instrument, funding_at), from
-- /dapi/v1/fundingRate. Same rules as stg_binance__funding_rates: the rate is per interval, the interval is
-- the gap since the previous settlement (then the gap to the next one for the first settlement of a series;
-- COIN-M's fundingInfo is not collected, so Binance's default of 8 h last). dapi rows carry no markPrice.
-- COIN-M perpetuals are never the asset's flagship (is_primary false): the per-venue marts read USD-M.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('binance', 'coinm_funding_rates') }}
    where http_status = 200 and json_valid(payload)
),

records as (
    select
        unnest(from_json(payload, '[{"symbol":"VARCHAR","fundingTime":"VARCHAR","fundingRate":"VARCHAR"}]')) as r,
        fetched_at,
        data_mode
    from responses
),

typed as (
    select
        r.symbol as instrument,
        {{ binance_ms_to_ts('r.fundingTime') }} as funding_at,
        try_cast(r.fundingRate as double) as funding_rate,
        fetched_at,
        data_mode
    from records
    where r.symbol is not null and try_cast(r.fundingTime as bigint) is not null
),

deduplicated as (
    -- Overlapping pages and re-fetched partitions repeat settlements: keep the latest fetch.
    select *
    from typed
    qualify row_number() over (partition by instrument, funding_at order by fetched_at desc) = 1
),

gaps as (
    select
        *,
        {{ settlement_gaps('funding_at', 'instrument') }}
    from deduplicated
),

with_interval as (
    select
        *,
        cast({{ interval_from_settlement_gaps('8') }} as double) as funding_interval_hours
    from gaps
)

select
    cast('binance' as varchar) as exchange,
    cast({{ binance_asset('instrument') }} as varchar) as asset,
    cast(instrument as varchar) as instrument,
    cast(false as boolean) as is_primary,
    funding_at,
    funding_rate,
    funding_interval_hours,
    cast({{ funding_rate_8h('funding_rate', 'funding_interval_hours') }} as double) as funding_rate_8h,
    cast({{ funding_apr('funding_rate', 'funding_interval_hours') }} as double) as funding_apr,
    fetched_at,
    cast(data_mode as varchar) as data_mode
from with_interval
