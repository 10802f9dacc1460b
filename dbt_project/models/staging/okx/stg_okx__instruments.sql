-- One row per OKX instrument (perpetuals, dated futures, options), from the latest /public/instruments
-- snapshot that lists it. Instruments missing from the newest snapshot (expired, delisted) keep their last
-- row with is_active = false, so older facts still join to them. A perpetual's funding interval is not in
-- the instrument list: it comes from the latest /public/funding-rate answer (nextFundingTime - fundingTime).
with responses as (
    select payload, partition_key, fetched_at
    from {{ source('okx', 'instruments') }}
    where http_status = 200 and json_valid(payload)
),

parsed as (
    select
        from_json(payload, '{"code":"VARCHAR","data":[{"instId":"VARCHAR","instType":"VARCHAR","instFamily":"VARCHAR","uly":"VARCHAR","ctVal":"VARCHAR","ctMult":"VARCHAR","ctValCcy":"VARCHAR","settleCcy":"VARCHAR","expTime":"BIGINT","stk":"VARCHAR","optType":"VARCHAR","state":"VARCHAR"}]}') as body,
        partition_key,
        fetched_at
    from responses
),

records as (
    select
        unnest(body.data) as r,
        partition_key,
        fetched_at
    from parsed
    where body.code = '0'
),

latest as (
    select
        *,
        partition_key = max(partition_key) over () as in_latest_snapshot
    from records
    where r.instId is not null
    qualify row_number() over (partition by r.instId order by partition_key desc, fetched_at desc) = 1
),

funding_intervals as (
    select
        f.instId as instrument,
        (f.nextFundingTime - f.fundingTime) / 3600000.0 as funding_interval_hours
    from (
        select
            unnest(from_json(payload, '{"code":"VARCHAR","data":[{"instId":"VARCHAR","fundingTime":"BIGINT","nextFundingTime":"BIGINT"}]}').data) as f,
            fetched_at
        from {{ source('okx', 'funding_rate') }}
        where http_status = 200 and json_valid(payload) and json_extract_string(payload, '$.code') = '0'
    )
    where f.instId is not null and f.nextFundingTime > f.fundingTime
    qualify row_number() over (partition by f.instId order by fetched_at desc) = 1
),

classified as (
    select
        latest.*,
        -- instFamily is the newer name of uly (BTC-USDT, BTC-USD): underlying coin, then quote currency.
        coalesce(nullif(r.instFamily, ''), r.uly) as family,
        case r.instType
            when 'SWAP' then 'perpetual'
            when 'FUTURES' then 'future'
            when 'OPTION' then 'option'
            when 'SPOT' then 'spot'
        end as kind
    from latest
)

select
    cast('okx' as varchar) as exchange,
    cast(r.instId as varchar) as instrument,
    cast(split_part(family, '-', 1) as varchar) as asset,
    cast(kind as varchar) as kind,
    cast(split_part(family, '-', 2) as varchar) as quote_currency,
    cast(r.settleCcy as varchar) as settlement_currency,
    -- ctVal per contract, times ctMult (options: 1 BTC x 0.01; swaps and futures: x 1).
    cast(try_cast(r.ctVal as double) * coalesce(try_cast(nullif(r.ctMult, '') as double), 1.0) as double) as contract_size,
    -- ctValCcy names the unit: the underlying coin (linear, options), USD (inverse), else another coin (quanto).
    cast(case
        when r.ctValCcy = split_part(family, '-', 1) then 'coin'
        when r.ctValCcy = 'USD' then 'usd'
        when r.ctValCcy is not null and r.ctValCcy <> '' then 'quanto'
    end as varchar) as contract_unit,
    cast(case
        when kind in ('future', 'option') and r.expTime > 0 then {{ epoch_ms_to_ts('r.expTime') }}
    end as timestamptz) as expiry_at,
    cast(case when kind = 'option' then try_cast(nullif(r.stk, '') as double) end as double) as strike,
    cast(case r.optType when 'C' then 'call' when 'P' then 'put' end as varchar) as option_type,
    cast(case when kind = 'perpetual' then funding_intervals.funding_interval_hours end as double) as funding_interval_hours,
    cast(in_latest_snapshot and r.state = 'live' as boolean) as is_active,
    cast(fetched_at as timestamptz) as observed_at
from classified
left join funding_intervals on funding_intervals.instrument = classified.r.instId
