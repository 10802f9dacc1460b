-- One row per /dapi/v1/openInterest observation of a COIN-M contract (instrument, observed_at), perpetuals and
-- delivery contracts alike. COIN-M counts open interest in contracts of contractSize USD each (100 for BTC,
-- 10 for the others; read from the instrument list, the documented sizes when it lacks the symbol):
-- oi_usd = contracts x contractSize, and oi_coin = oi_usd / the mark price of the same contract's
-- /dapi/v1/premiumIndex observation nearest in time (null when none was taken within an hour).
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('binance', 'coinm_open_interest') }}
    where http_status = 200 and json_valid(payload)
),

parsed as (
    select
        from_json(payload, '{"symbol":"VARCHAR","pair":"VARCHAR","openInterest":"VARCHAR","contractType":"VARCHAR","time":"VARCHAR"}') as r,
        fetched_at,
        data_mode
    from responses
),

observations as (
    select
        r.symbol as instrument,
        r.pair as pair,
        r.contractType as binance_contract_type,
        {{ binance_ms_to_ts('r.time') }} as observed_at,
        try_cast(r.openInterest as double) as oi_contracts,
        fetched_at,
        data_mode
    from parsed
    where r.symbol is not null and try_cast(r.time as bigint) is not null
    qualify row_number() over (partition by r.symbol, r.time order by fetched_at desc) = 1
),

sizes as (
    select instrument, contract_size
    from {{ ref('stg_binance__instruments') }}
    where contract_unit = 'usd'
),

marks as (
    select instrument, observed_at as mark_at, mark_price
    from {{ ref('stg_binance__coinm_premium_indexes') }}
    where mark_price is not null
),

-- Nearest mark: the closer of the last one at or before and the first one after the observation.
with_marks as (
    select
        observations.*,
        coalesce(
            sizes.contract_size,
            case when {{ binance_asset('observations.instrument') }} = 'BTC' then 100.0 else 10.0 end
        ) as contract_size,
        before.mark_at as before_at,
        before.mark_price as before_price,
        after.mark_at as after_at,
        after.mark_price as after_price
    from observations
    left join sizes on sizes.instrument = observations.instrument
    asof left join marks as before
        on before.instrument = observations.instrument and before.mark_at <= observations.observed_at
    asof left join marks as after
        on after.instrument = observations.instrument and after.mark_at >= observations.observed_at
),

-- Only a mark within the hour values the observation: a stale price would misstate the USD amount.
near_marks as (
    select
        * replace (
            case when observed_at - before_at <= interval 1 hour then before_at end as before_at,
            case when after_at - observed_at <= interval 1 hour then after_at end as after_at
        )
    from with_marks
),

priced as (
    select
        *,
        case
            when before_at is not null and (after_at is null or observed_at - before_at <= after_at - observed_at)
                then before_price
            when after_at is not null then after_price
        end as mark_price,
        oi_contracts * contract_size as oi_usd
    from near_marks
)

select
    cast('binance' as varchar) as exchange,
    cast({{ binance_asset('instrument') }} as varchar) as asset,
    cast(instrument as varchar) as instrument,
    cast(false as boolean) as is_primary,
    observed_at,
    cast(oi_usd / nullif(mark_price, 0) as double) as oi_coin,
    cast(oi_usd as double) as oi_usd,
    cast(null as double) as long_oi_usd,
    cast(null as double) as short_oi_usd,
    cast('snapshot' as varchar) as oi_source,
    cast(data_mode as varchar) as data_mode,
    cast(case when instrument like '%\_PERP' escape '\' then 'perpetual' else 'future' end as varchar) as contract_type,
    cast(pair as varchar) as pair,
    oi_contracts,
    contract_size,
    mark_price,
    fetched_at
from priced
