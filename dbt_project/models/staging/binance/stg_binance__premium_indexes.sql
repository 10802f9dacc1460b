-- One row per /fapi/v1/premiumIndex observation (instrument, observed_at): mark and index price, the open
-- period's funding rate (lastFundingRate, applied at next_funding_at) and the venue's own timestamp.
-- USD-M premiumIndex also lists dated quarterlies (BTCUSDT_261225): they have no funding (Binance sends an
-- empty lastFundingRate), so their funding columns are null and they only feed int_futures_quotes.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('binance', 'premium_index') }}
    where http_status = 200 and json_valid(payload)
),

parsed as (
    select
        from_json(payload, '{"symbol":"VARCHAR","markPrice":"VARCHAR","indexPrice":"VARCHAR","estimatedSettlePrice":"VARCHAR","lastFundingRate":"VARCHAR","interestRate":"VARCHAR","nextFundingTime":"BIGINT","time":"BIGINT"}') as r,
        fetched_at,
        data_mode
    from responses
),

observations as (
    select
        r.symbol as instrument,
        -- Dated contracts carry their delivery day in the symbol (BTCUSDT_261225), delivered at 08:00 UTC.
        regexp_matches(r.symbol, '_[0-9]{6}$') as is_dated,
        {{ epoch_ms_to_ts('r.time') }} as observed_at,
        try_cast(nullif(r.markPrice, '') as double) as mark_price,
        try_cast(nullif(r.indexPrice, '') as double) as index_price,
        try_cast(nullif(r.lastFundingRate, '') as double) as current_funding_rate,
        try_cast(nullif(r.interestRate, '') as double) as interest_rate,
        case when r.nextFundingTime > 0 then {{ epoch_ms_to_ts('r.nextFundingTime') }} end as next_funding_at,
        fetched_at,
        data_mode
    from parsed
    where r.symbol is not null and r.time is not null
    qualify row_number() over (partition by r.symbol, r.time order by fetched_at desc) = 1
),

-- The interval of the open period: the symbol's entry in the newest fundingInfo snapshot taken at or before the
-- observation (the earliest snapshot for older observations); symbols absent from that snapshot settle every 8 h.
-- Snapshot times come from the raw answers, so an empty snapshot (no adjusted symbol) counts too.
snapshot_times as (
    select distinct fetched_at as snapshot_at
    from {{ source('binance', 'funding_info') }}
    where http_status = 200 and json_valid(payload)
),

observation_snapshot as (
    select
        observations.instrument,
        observations.observed_at,
        coalesce(snapshot_times.snapshot_at, (select min(snapshot_at) from snapshot_times)) as snapshot_at
    from observations
    asof left join snapshot_times on snapshot_times.snapshot_at <= observations.observed_at
),

with_interval as (
    select
        observations.*,
        cast(case
            when not observations.is_dated then coalesce(infos.funding_interval_hours, 8)
        end as double) as funding_interval_hours
    from observations
    left join observation_snapshot
        on observation_snapshot.instrument = observations.instrument
        and observation_snapshot.observed_at = observations.observed_at
    left join {{ ref('stg_binance__funding_infos') }} as infos
        on infos.instrument = observations.instrument
        and infos.snapshot_at = observation_snapshot.snapshot_at
),

final as (
    select
        *,
        case when not is_dated then current_funding_rate end as funding_rate
    from with_interval
)

select
    cast('binance' as varchar) as exchange,
    cast({{ binance_asset('instrument') }} as varchar) as asset,
    cast(instrument as varchar) as instrument,
    cast(not is_dated and instrument like '%USDT' as boolean) as is_primary,
    observed_at,
    cast(funding_rate as double) as funding_rate,
    funding_interval_hours,
    cast({{ funding_rate_8h('funding_rate', 'funding_interval_hours') }} as double) as funding_rate_8h,
    cast({{ funding_apr('funding_rate', 'funding_interval_hours') }} as double) as funding_apr,
    next_funding_at,
    mark_price,
    index_price,
    cast(data_mode as varchar) as data_mode,
    cast(case when is_dated then 'future' else 'perpetual' end as varchar) as contract_type,
    {{ binance_expiry_from_symbol('instrument') }} as expiry_at,
    current_funding_rate,
    interest_rate,
    fetched_at
from final
