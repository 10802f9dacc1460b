-- One row per /public/funding-rate observation of an OKX perpetual (instrument, observed_at = OKX's ts).
-- Under OKX's current_period method `fundingRate` is the rate of the period still open, charged at
-- `fundingTime` (so next_funding_at = fundingTime), and nextFundingTime is the settlement after it: the
-- interval is nextFundingTime - fundingTime (OKX runs 1, 2, 4 and 8 h intervals; ccxt also maps 16 and
-- 24). The answer has no mark or index: both come from the mark-price snapshot of the same run (nearest
-- observation of the instrument at most 10 minutes away).
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('okx', 'funding_rate') }}
    where http_status = 200 and json_valid(payload) and json_extract_string(payload, '$.code') = '0'
),

records as (
    select
        unnest(from_json(payload, '{"data":[{"instId":"VARCHAR","fundingRate":"VARCHAR","fundingTime":"BIGINT","nextFundingTime":"BIGINT","nextFundingRate":"VARCHAR","settFundingRate":"VARCHAR","premium":"VARCHAR","interestRate":"VARCHAR","method":"VARCHAR","ts":"BIGINT"}]}').data) as r,
        fetched_at,
        data_mode
    from responses
),

typed as (
    select
        r.instId as instrument,
        upper(split_part(r.instId, '-', 1)) as asset,
        -- Older answers carry no ts: the settlement time is then the best stamp we have of "now".
        coalesce({{ epoch_ms_to_ts('r.ts') }}, fetched_at) as observed_at,
        try_cast(nullif(r.fundingRate, '') as double) as funding_rate,
        case when r.fundingTime > 0 then {{ epoch_ms_to_ts('r.fundingTime') }} end as next_funding_at,
        case
            when r.nextFundingTime > r.fundingTime then (r.nextFundingTime - r.fundingTime) / 3600000.0
        end as interval_from_times,
        try_cast(nullif(r.nextFundingRate, '') as double) as next_funding_rate,
        try_cast(nullif(r.settFundingRate, '') as double) as last_settled_rate,
        try_cast(nullif(r.premium, '') as double) as premium,
        r.method as funding_method,
        fetched_at,
        data_mode
    from records
    where r.instId is not null
),

deduplicated as (
    select *
    from typed
    qualify row_number() over (partition by instrument, observed_at order by fetched_at desc) = 1
),

with_mark as (
    select
        deduplicated.*,
        marks.mark_price,
        marks.index_price
    from deduplicated
    left join {{ ref('stg_okx__mark_prices') }} as marks
        on marks.instrument = deduplicated.instrument
        and marks.observed_at between deduplicated.observed_at - interval 10 minute
        and deduplicated.observed_at + interval 10 minute
    qualify row_number() over (
        partition by deduplicated.instrument, deduplicated.observed_at
        order by abs(epoch(marks.observed_at) - epoch(deduplicated.observed_at)) nulls last
    ) = 1
),

final as (
    select
        with_mark.*,
        -- Without nextFundingTime, the interval the instrument list last saw, then OKX's default 8 h.
        coalesce(interval_from_times, instruments.funding_interval_hours, 8.0) as funding_interval_hours
    from with_mark
    left join {{ ref('stg_okx__instruments') }} as instruments
        on instruments.instrument = with_mark.instrument
)

select
    cast('okx' as varchar) as exchange,
    cast(asset as varchar) as asset,
    cast(instrument as varchar) as instrument,
    cast(instrument = asset || '-USDT-SWAP' as boolean) as is_primary,
    observed_at,
    cast(funding_rate as double) as funding_rate,
    cast(funding_interval_hours as double) as funding_interval_hours,
    cast({{ funding_rate_8h('funding_rate', 'funding_interval_hours') }} as double) as funding_rate_8h,
    cast({{ funding_apr('funding_rate', 'funding_interval_hours') }} as double) as funding_apr,
    next_funding_at,
    cast(mark_price as double) as mark_price,
    cast(index_price as double) as index_price,
    cast(data_mode as varchar) as data_mode,
    cast(next_funding_rate as double) as next_funding_rate,
    cast(last_settled_rate as double) as last_settled_rate,
    cast(premium as double) as premium,
    cast(funding_method as varchar) as funding_method,
    fetched_at
from final
