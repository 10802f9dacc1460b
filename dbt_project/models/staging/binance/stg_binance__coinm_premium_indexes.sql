-- One row per contract per /dapi/v1/premiumIndex?pair= observation (instrument, observed_at): the COIN-M
-- perpetual (BTCUSD_PERP) and the pair's delivery contracts (BTCUSD_261225), with mark and index price.
-- Delivery contracts have no funding: Binance sends an empty lastFundingRate and nextFundingTime 0, so their
-- funding columns are null (int_funding_snapshots skips them; int_futures_quotes takes them as futures).
-- The perpetual's interval is that of its latest settlement at or before the observation
-- (stg_binance__coinm_funding_rates), else Binance's default of 8 h. COIN-M rows are never is_primary.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('binance', 'coinm_premium_index') }}
    where http_status = 200 and json_valid(payload)
),

records as (
    select
        -- premiumIndex?pair= always answers an array; ?symbol= on older deployments answered one object.
        unnest(case
            when json_type(payload) = 'ARRAY'
                then from_json(payload, '[{"symbol":"VARCHAR","pair":"VARCHAR","markPrice":"VARCHAR","indexPrice":"VARCHAR","estimatedSettlePrice":"VARCHAR","lastFundingRate":"VARCHAR","interestRate":"VARCHAR","nextFundingTime":"VARCHAR","time":"VARCHAR"}]')
            else [from_json(payload, '{"symbol":"VARCHAR","pair":"VARCHAR","markPrice":"VARCHAR","indexPrice":"VARCHAR","estimatedSettlePrice":"VARCHAR","lastFundingRate":"VARCHAR","interestRate":"VARCHAR","nextFundingTime":"VARCHAR","time":"VARCHAR"}')]
        end) as r,
        fetched_at,
        data_mode
    from responses
),

observations as (
    select
        r.symbol as instrument,
        r.pair as pair,
        not r.symbol like '%\_PERP' escape '\' as is_dated,
        {{ binance_ms_to_ts('r.time') }} as observed_at,
        try_cast(nullif(r.markPrice, '') as double) as mark_price,
        try_cast(nullif(r.indexPrice, '') as double) as index_price,
        try_cast(nullif(r.estimatedSettlePrice, '') as double) as estimated_settle_price,
        try_cast(nullif(r.lastFundingRate, '') as double) as last_funding_rate,
        try_cast(nullif(r.interestRate, '') as double) as interest_rate,
        case
            when try_cast(r.nextFundingTime as bigint) > 0 then {{ binance_ms_to_ts('r.nextFundingTime') }}
        end as next_funding_at,
        fetched_at,
        data_mode
    from records
    where r.symbol is not null and try_cast(r.time as bigint) is not null
    qualify row_number() over (partition by r.symbol, r.time order by fetched_at desc) = 1
),

settlements as (
    select instrument, funding_at, funding_interval_hours
    from {{ ref('stg_binance__coinm_funding_rates') }}
),

with_interval as (
    select
        observations.*,
        cast(case
            when not observations.is_dated then coalesce(settlements.funding_interval_hours, 8)
        end as double) as funding_interval_hours
    from observations
    asof left join settlements
        on settlements.instrument = observations.instrument
        and settlements.funding_at <= observations.observed_at
),

expiries as (
    select instrument, expiry_at
    from {{ ref('stg_binance__instruments') }}
    where kind = 'future'
),

final as (
    select
        with_interval.*,
        case when not is_dated then last_funding_rate end as funding_rate,
        case
            when is_dated then coalesce(expiries.expiry_at, {{ binance_expiry_from_symbol('with_interval.instrument') }})
        end as expiry_at
    from with_interval
    left join expiries on expiries.instrument = with_interval.instrument
)

select
    cast('binance' as varchar) as exchange,
    cast({{ binance_asset('instrument') }} as varchar) as asset,
    cast(instrument as varchar) as instrument,
    cast(false as boolean) as is_primary,
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
    cast(expiry_at as timestamptz) as expiry_at,
    cast(pair as varchar) as pair,
    estimated_settle_price,
    interest_rate,
    fetched_at
from final
