-- One row per /public/open-interest observation of an OKX perpetual or dated future (instrument,
-- observed_at = OKX's ts). OKX sends three units: `oi` in contracts, `oiCcy` in coin, `oiUsd` in USD (a newer
-- field). Coin and USD are taken as sent; when a field is missing they are rebuilt from the contracts and the
-- instrument's contract size (coin per contract for linear contracts, USD per contract for inverse ones) at
-- the mark price of the same snapshot. Option open interest is left out here (it would swell the venue's
-- futures OI in int_open_interest): stg_okx__option_summaries reads it.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('okx', 'open_interest') }}
    where http_status = 200 and json_valid(payload) and json_extract_string(payload, '$.code') = '0'
),

records as (
    select
        unnest(from_json(payload, '{"data":[{"instType":"VARCHAR","instId":"VARCHAR","oi":"VARCHAR","oiCcy":"VARCHAR","oiUsd":"VARCHAR","ts":"BIGINT"}]}').data) as r,
        fetched_at,
        data_mode
    from responses
),

typed as (
    select
        r.instId as instrument,
        upper(split_part(r.instId, '-', 1)) as asset,
        case when r.instId like '%-SWAP' then 'perpetual' else 'future' end as contract_type,
        {{ epoch_ms_to_ts('r.ts') }} as observed_at,
        try_cast(nullif(r.oi, '') as double) as oi_contracts,
        try_cast(nullif(r.oiCcy, '') as double) as oi_coin_sent,
        try_cast(nullif(r.oiUsd, '') as double) as oi_usd_sent,
        fetched_at,
        data_mode
    from records
    where r.instId is not null and r.ts is not null
        and (r.instType in ('SWAP', 'FUTURES')
            or (r.instType is null and (r.instId like '%-SWAP' or regexp_matches(r.instId, '-[0-9]{6}$'))))
),

deduplicated as (
    select *
    from typed
    qualify row_number() over (partition by instrument, observed_at order by fetched_at desc) = 1
),

with_mark as (
    select
        deduplicated.*,
        marks.mark_price
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

converted as (
    select
        with_mark.*,
        coalesce(
            oi_coin_sent,
            case instruments.contract_unit
                when 'coin' then oi_contracts * instruments.contract_size
                when 'usd' then oi_contracts * instruments.contract_size / nullif(mark_price, 0)
            end
        ) as oi_coin,
        coalesce(
            oi_usd_sent,
            case instruments.contract_unit
                when 'coin' then oi_contracts * instruments.contract_size * mark_price
                when 'usd' then oi_contracts * instruments.contract_size
            end
        ) as oi_usd
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
    cast(oi_coin as double) as oi_coin,
    cast(oi_usd as double) as oi_usd,
    cast(null as double) as long_oi_usd,
    cast(null as double) as short_oi_usd,
    cast('snapshot' as varchar) as oi_source,
    cast(data_mode as varchar) as data_mode,
    cast(contract_type as varchar) as contract_type,
    cast(oi_contracts as double) as oi_contracts,
    fetched_at
from converted
