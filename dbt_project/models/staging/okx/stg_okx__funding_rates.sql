-- One row per settled funding of an OKX perpetual (instrument, funding_at), from /public/funding-rate-history
-- (about three months kept by OKX, newest first, pages overlap).
-- funding_rate is `realizedRate`, what was actually exchanged at the settlement: OKX rounds (and caps) the
-- formula rate before charging it (a recorded answer: fundingRate 0.0001515032, realizedRate 0.00015), and
-- carry and P&L follow what was paid. `fundingRate` (the formula's rate) is kept as formula_rate and stands
-- in only when realizedRate is empty.
-- The interval is the gap since the previous settlement, else the gap to the next one (first row of a
-- series, or after a hole), else the interval the instrument list last saw, else OKX's default 8 h.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('okx', 'funding_rate_history') }}
    where http_status = 200 and json_valid(payload) and json_extract_string(payload, '$.code') = '0'
),

records as (
    select
        unnest(from_json(payload, '{"data":[{"instId":"VARCHAR","fundingRate":"VARCHAR","realizedRate":"VARCHAR","fundingTime":"BIGINT","method":"VARCHAR"}]}').data) as r,
        fetched_at,
        data_mode
    from responses
),

typed as (
    select
        r.instId as instrument,
        upper(split_part(r.instId, '-', 1)) as asset,
        {{ epoch_ms_to_ts('r.fundingTime') }} as funding_at,
        try_cast(nullif(r.realizedRate, '') as double) as realized_rate,
        try_cast(nullif(r.fundingRate, '') as double) as formula_rate,
        r.method as funding_method,
        fetched_at,
        data_mode
    from records
    where r.instId is not null and r.fundingTime is not null
),

deduplicated as (
    -- Overlapping pages and re-fetched days repeat settlements: the latest fetch wins.
    select *
    from typed
    qualify row_number() over (partition by instrument, funding_at order by fetched_at desc) = 1
),

gaps as (
    select
        *,
        epoch(funding_at - lag(funding_at) over w) / 3600.0 as hours_since_previous,
        epoch(lead(funding_at) over w - funding_at) / 3600.0 as hours_to_next
    from deduplicated
    window w as (partition by instrument order by funding_at)
),

with_interval as (
    select
        gaps.*,
        cast(case
            when hours_since_previous in (1, 2, 4, 8) then hours_since_previous
            -- 16 and 24 h are rare and look like a missed settlement: trusted when the next gap agrees.
            when hours_since_previous in (16, 24) and hours_to_next = hours_since_previous then hours_since_previous
            when hours_to_next in (1, 2, 4, 8, 16, 24) then hours_to_next
            else coalesce(instruments.funding_interval_hours, 8)
        end as double) as funding_interval_hours,
        coalesce(realized_rate, formula_rate) as funding_rate
    from gaps
    left join {{ ref('stg_okx__instruments') }} as instruments
        on instruments.instrument = gaps.instrument
)

select
    cast('okx' as varchar) as exchange,
    cast(asset as varchar) as asset,
    cast(instrument as varchar) as instrument,
    cast(instrument = asset || '-USDT-SWAP' as boolean) as is_primary,
    funding_at,
    cast(funding_rate as double) as funding_rate,
    funding_interval_hours,
    cast({{ funding_rate_8h('funding_rate', 'funding_interval_hours') }} as double) as funding_rate_8h,
    cast({{ funding_apr('funding_rate', 'funding_interval_hours') }} as double) as funding_apr,
    cast(data_mode as varchar) as data_mode,
    cast(realized_rate as double) as realized_rate,
    cast(formula_rate as double) as formula_rate,
    cast(funding_method as varchar) as funding_method,
    fetched_at
from with_interval
