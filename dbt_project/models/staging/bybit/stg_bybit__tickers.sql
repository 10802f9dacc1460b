-- One row per Bybit linear or inverse contract per tickers snapshot (exchange, instrument, observed_at):
-- the linear perpetual of each asset and every inverse contract (perpetuals and dated quarterlies).
-- A ticker is the venue's "now": the open period's funding rate, next settlement, mark and index price
-- and open interest, so it feeds funding snapshots, OI snapshots, futures quotes and the index price.
-- Units (reference/exchange_api.md section 2, simulator/venues/bybit.py _contract_ticker):
--   linear:  openInterest in base coin, openInterestValue in USD(T);
--   inverse: openInterest in USD (1 USD contracts), openInterestValue in coin.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('bybit', 'tickers') }}
    where http_status = 200 and json_valid(payload)
),

parsed as (
    select
        from_json(payload, '{"retCode":"INTEGER","time":"BIGINT","result":{"category":"VARCHAR","list":[{"symbol":"VARCHAR","lastPrice":"VARCHAR","markPrice":"VARCHAR","indexPrice":"VARCHAR","openInterest":"VARCHAR","openInterestValue":"VARCHAR","fundingRate":"VARCHAR","nextFundingTime":"VARCHAR","fundingIntervalHour":"VARCHAR","deliveryTime":"VARCHAR","basis":"VARCHAR","basisRate":"VARCHAR","volume24h":"VARCHAR","turnover24h":"VARCHAR"}]}}') as body,
        fetched_at,
        data_mode
    from responses
),

records as (
    select
        unnest(body.result.list) as r,
        body.result.category as category,
        body.time as venue_time_ms,
        fetched_at,
        data_mode
    from parsed
    -- Errors keep HTTP 200 on Bybit: the failure is in retCode.
    where body.retCode = 0 and body.result.category in ('linear', 'inverse')
),

typed as (
    select
        r.symbol as instrument,
        category,
        cast(coalesce({{ epoch_ms_to_ts('venue_time_ms') }}, fetched_at) as timestamptz) as observed_at,
        try_cast(nullif(r.fundingRate, '') as double) as funding_rate,
        try_cast(nullif(r.fundingIntervalHour, '') as double) as ticker_interval_hours,
        case
            when try_cast(r.nextFundingTime as bigint) > 0 then {{ epoch_ms_to_ts('r.nextFundingTime') }}
        end as next_funding_at,
        case
            when try_cast(r.deliveryTime as bigint) > 0 then {{ epoch_ms_to_ts('r.deliveryTime') }}
        end as delivery_at,
        try_cast(nullif(r.markPrice, '') as double) as mark_price,
        try_cast(nullif(r.indexPrice, '') as double) as index_price,
        try_cast(nullif(r.lastPrice, '') as double) as last_price,
        try_cast(nullif(r.openInterest, '') as double) as open_interest,
        try_cast(nullif(r.openInterestValue, '') as double) as open_interest_value,
        try_cast(nullif(r.basisRate, '') as double) as basis_rate,
        try_cast(nullif(r.volume24h, '') as double) as volume_24h,
        try_cast(nullif(r.turnover24h, '') as double) as turnover_24h,
        fetched_at,
        data_mode
    from records
    where r.symbol is not null
),

deduplicated as (
    -- The same answer stored in two partitions is one observation: keep the latest fetch.
    select *
    from typed
    qualify row_number() over (partition by instrument, observed_at order by fetched_at desc) = 1
),

classified as (
    select
        deduplicated.*,
        -- instruments-info knows the contract type; a symbol it has not listed yet is read from its name.
        -- A perpetual's deliveryTime is a planned delisting, never an expiry, so it does not decide this.
        coalesce(
            instruments.kind,
            case when {{ bybit_is_dated_future('instrument') }} then 'future' else 'perpetual' end
        ) as contract_type,
        instruments.funding_interval_hours as listed_interval_hours,
        {{ bybit_coin_multiplier('instrument') }} as coin_multiplier
    from deduplicated
    left join {{ ref('stg_bybit__instruments') }} as instruments using (instrument)
),

normalised as (
    select
        *,
        case when contract_type = 'perpetual' then funding_rate end as open_funding_rate,
        -- fundingIntervalHour was added to the tickers in 2025; older answers need instruments-info, and a
        -- symbol missing from both gets Bybit's default of 8 h.
        case
            when contract_type = 'perpetual' then coalesce(ticker_interval_hours, listed_interval_hours, 8)
        end as funding_interval_hours,
        case
            when category = 'inverse' then open_interest / nullif(mark_price, 0)
            else open_interest * coin_multiplier
        end as oi_coin,
        case
            when category = 'inverse' then open_interest
            else coalesce(open_interest_value, open_interest * mark_price)
        end as oi_usd
    from classified
)

select
    cast('bybit' as varchar) as exchange,
    cast({{ bybit_asset('instrument') }} as varchar) as asset,
    cast(instrument as varchar) as instrument,
    cast(category = 'linear' and contract_type = 'perpetual' and instrument like '%USDT' as boolean) as is_primary,
    observed_at,
    cast(open_funding_rate as double) as funding_rate,
    cast(funding_interval_hours as double) as funding_interval_hours,
    cast({{ funding_rate_8h('open_funding_rate', 'funding_interval_hours') }} as double) as funding_rate_8h,
    cast({{ funding_apr('open_funding_rate', 'funding_interval_hours') }} as double) as funding_apr,
    cast(case when contract_type = 'perpetual' then next_funding_at end as timestamptz) as next_funding_at,
    mark_price,
    index_price,
    cast(data_mode as varchar) as data_mode,
    cast(oi_coin as double) as oi_coin,
    cast(oi_usd as double) as oi_usd,
    cast(null as double) as long_oi_usd,
    cast(null as double) as short_oi_usd,
    cast('snapshot' as varchar) as oi_source,
    -- Only the flagship row carries the venue's index, so int_spot_prices gets one Bybit index per asset.
    cast(case
        when category = 'linear' and contract_type = 'perpetual' and instrument like '%USDT' then index_price
    end as double) as price,
    cast(case
        when category = 'linear' and contract_type = 'perpetual' and instrument like '%USDT' and index_price is not null
            then 'index'
    end as varchar) as price_kind,
    cast(contract_type as varchar) as contract_type,
    cast(case when contract_type = 'future' then delivery_at end as timestamptz) as expiry_at,
    cast(category as varchar) as category,
    last_price,
    basis_rate,
    open_interest as open_interest_contracts,
    volume_24h,
    turnover_24h,
    fetched_at
from normalised
