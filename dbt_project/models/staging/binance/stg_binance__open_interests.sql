-- One row per /fapi/v1/openInterest observation (instrument, observed_at). Binance USD-M reports OI in base
-- coin only; oi_usd values it at the mark price of the same symbol's premiumIndex observation nearest in time
-- (our hourly snapshot fetches both within the same second; null when none was taken within an hour).
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('binance', 'open_interest') }}
    where http_status = 200 and json_valid(payload)
),

parsed as (
    select
        from_json(payload, '{"symbol":"VARCHAR","openInterest":"VARCHAR","time":"BIGINT"}') as r,
        fetched_at,
        data_mode
    from responses
),

observations as (
    select
        r.symbol as instrument,
        {{ epoch_ms_to_ts('r.time') }} as observed_at,
        try_cast(r.openInterest as double) as oi_coin,
        fetched_at,
        data_mode
    from parsed
    where r.symbol is not null and r.time is not null
    qualify row_number() over (partition by r.symbol, r.time order by fetched_at desc) = 1
),

marks as (
    select instrument, observed_at as mark_at, mark_price
    from {{ ref('stg_binance__premium_indexes') }}
    where mark_price is not null
),

-- Nearest mark: the closer of the last one at or before and the first one after the observation.
with_marks as (
    select
        observations.*,
        before.mark_at as before_at,
        before.mark_price as before_price,
        after.mark_at as after_at,
        after.mark_price as after_price
    from observations
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
        end as mark_price
    from near_marks
)

select
    cast('binance' as varchar) as exchange,
    cast({{ binance_asset('instrument') }} as varchar) as asset,
    cast(instrument as varchar) as instrument,
    cast(instrument like '%USDT' as boolean) as is_primary,
    observed_at,
    cast(oi_coin as double) as oi_coin,
    cast(oi_coin * mark_price as double) as oi_usd,
    cast(null as double) as long_oi_usd,
    cast(null as double) as short_oi_usd,
    cast('snapshot' as varchar) as oi_source,
    cast(data_mode as varchar) as data_mode,
    mark_price,
    fetched_at
from priced
