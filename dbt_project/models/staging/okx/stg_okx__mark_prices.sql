-- One row per OKX mark price observation of a perpetual or dated future (instrument, observed_at), from
-- /public/mark-price snapshots (instType SWAP and FUTURES; option marks are in coin and are read by
-- stg_okx__option_summaries, margin pairs are marked at the index and are left out).
-- index_price is the index the contract is marked against: its family's index (BTC-USDT for the
-- USDT-margined BTC-USDT-SWAP and BTC-USDT-261225, BTC-USD for the coin-margined ones), observed by the
-- same snapshot run: the nearest index observation at most 10 minutes away (separate requests, so the
-- venue's stamps differ by seconds).
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('okx', 'mark_price') }}
    where http_status = 200 and json_valid(payload) and json_extract_string(payload, '$.code') = '0'
),

records as (
    select
        unnest(from_json(payload, '{"data":[{"instType":"VARCHAR","instId":"VARCHAR","markPx":"VARCHAR","ts":"BIGINT"}]}').data) as r,
        fetched_at,
        data_mode
    from responses
),

typed as (
    select
        r.instId as instrument,
        upper(split_part(r.instId, '-', 1)) as asset,
        split_part(r.instId, '-', 1) || '-' || split_part(r.instId, '-', 2) as family,
        case
            when r.instId like '%-SWAP' then 'perpetual'
            when regexp_matches(r.instId, '^[A-Z0-9]+-[A-Z]+-[0-9]{6}$') then 'future'
        end as contract_type,
        {{ epoch_ms_to_ts('r.ts') }} as observed_at,
        try_cast(nullif(r.markPx, '') as double) as mark_price,
        fetched_at,
        data_mode
    from records
    where r.instId is not null and r.ts is not null and coalesce(r.instType, '') in ('SWAP', 'FUTURES', '')
),

deduplicated as (
    -- Snapshots loaded twice repeat observations: the latest fetch wins.
    select *
    from typed
    where contract_type is not null
    qualify row_number() over (partition by instrument, observed_at order by fetched_at desc) = 1
),

with_index as (
    select
        deduplicated.*,
        indexes.index_price
    from deduplicated
    left join {{ ref('stg_okx__index_prices') }} as indexes
        on indexes.instrument = deduplicated.family
        and indexes.observed_at between deduplicated.observed_at - interval 10 minute
        and deduplicated.observed_at + interval 10 minute
    qualify row_number() over (
        partition by deduplicated.instrument, deduplicated.observed_at
        order by abs(epoch(indexes.observed_at) - epoch(deduplicated.observed_at)) nulls last
    ) = 1
)

select
    cast('okx' as varchar) as exchange,
    cast(with_index.asset as varchar) as asset,
    cast(with_index.instrument as varchar) as instrument,
    cast(with_index.contract_type as varchar) as contract_type,
    -- OKX delivers at 08:00 UTC on the day in the id; the instrument list's expTime wins when it is there.
    cast(case
        when with_index.contract_type = 'future' then coalesce(
            instruments.expiry_at,
            cast(strptime(split_part(with_index.instrument, '-', 3) || ' 08:00:00+00', '%y%m%d %H:%M:%S%z') as timestamptz)
        )
    end as timestamptz) as expiry_at,
    with_index.observed_at,
    cast(with_index.mark_price as double) as mark_price,
    cast(with_index.index_price as double) as index_price,
    cast(with_index.data_mode as varchar) as data_mode,
    cast(with_index.contract_type = 'perpetual' and with_index.family = with_index.asset || '-USDT' as boolean) as is_primary,
    cast(with_index.family as varchar) as family,
    with_index.fetched_at
from with_index
left join {{ ref('stg_okx__instruments') }} as instruments
    on instruments.instrument = with_index.instrument
