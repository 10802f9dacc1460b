-- One row per settled funding of a Bybit perpetual (exchange, instrument, funding_at), linear and inverse.
-- Bybit sets the interval per symbol and changes it (an 8 h symbol can move to 1 h for days), so the
-- interval a settlement covers is the gap since the previous settlement when that is a whole 1, 2, 4 or
-- 8 h; otherwise (first settlement of a series, a gap left by missing data, the odd settlement where the
-- interval switches back) the gap to the next one, then the latest instruments-info `fundingInterval`,
-- then Bybit's default of 8 h.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('bybit', 'funding_rates') }}
    where http_status = 200 and json_valid(payload)
),

parsed as (
    select
        from_json(payload, '{"retCode":"INTEGER","result":{"category":"VARCHAR","list":[{"symbol":"VARCHAR","fundingRate":"VARCHAR","fundingRateTimestamp":"VARCHAR"}]}}') as body,
        fetched_at,
        data_mode
    from responses
),

records as (
    select
        unnest(body.result.list) as r,
        body.result.category as category,
        fetched_at,
        data_mode
    from parsed
    -- Errors keep HTTP 200 on Bybit: the failure is in retCode.
    where body.retCode = 0
),

typed as (
    select
        r.symbol as instrument,
        category,
        {{ epoch_ms_to_ts('r.fundingRateTimestamp') }} as funding_at,
        try_cast(r.fundingRate as double) as funding_rate,
        fetched_at,
        data_mode
    from records
    where r.symbol is not null and try_cast(r.fundingRateTimestamp as bigint) is not null
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
        gaps.*,
        cast({{ interval_from_settlement_gaps('coalesce(instruments.funding_interval_hours, 8)') }} as double)
            as funding_interval_hours
    from gaps
    left join {{ ref('stg_bybit__instruments') }} as instruments using (instrument)
)

select
    cast('bybit' as varchar) as exchange,
    cast({{ bybit_asset('instrument') }} as varchar) as asset,
    cast(instrument as varchar) as instrument,
    -- The flagship is the USDT-margined linear perpetual; USDC (BTCPERP) and inverse (BTCUSD) are secondary.
    cast(coalesce(category, 'linear') = 'linear' and instrument like '%USDT' as boolean) as is_primary,
    funding_at,
    funding_rate,
    funding_interval_hours,
    cast({{ funding_rate_8h('funding_rate', 'funding_interval_hours') }} as double) as funding_rate_8h,
    cast({{ funding_apr('funding_rate', 'funding_interval_hours') }} as double) as funding_apr,
    cast(category as varchar) as category,
    fetched_at,
    cast(data_mode as varchar) as data_mode
from with_interval
