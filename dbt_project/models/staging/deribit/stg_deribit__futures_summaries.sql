-- One row per Deribit perpetual or dated future per snapshot (instrument, observed_at), from
-- get_book_summary_by_currency (kind=future). observed_at is the snapshot's fetch time (one instant per answer).
-- Open interest: inverse contracts (BTC-PERPETUAL, BTC-27DEC24: contracts of 10 USD for BTC, 1 USD for ETH)
-- report it in USD, so coin = USD / mark; linear USDC contracts (SOL_USDC-PERPETUAL) report it in coin, so
-- USD = coin x mark. Funding accrues continuously on Deribit: there is no settlement and no next funding time.
-- The snapshot's funding_rate is `funding_8h`, the rate per 8 hours (interval 8), so funding_rate_8h equals
-- it; `current_funding` (the instantaneous rate) is kept alongside. Dated futures carry no funding.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('deribit', 'book_summary_futures') }}
    where http_status = 200 and json_valid(payload)
),

records as (
    select
        unnest(from_json(payload, '{"result":[{"instrument_name":"VARCHAR","quote_currency":"VARCHAR","mark_price":"DOUBLE","index_price":"DOUBLE","estimated_delivery_price":"DOUBLE","open_interest":"DOUBLE","funding_8h":"DOUBLE","current_funding":"DOUBLE","volume":"DOUBLE","volume_usd":"DOUBLE","bid_price":"DOUBLE","ask_price":"DOUBLE","last":"DOUBLE","last_price":"DOUBLE","creation_timestamp":"BIGINT","timestamp":"BIGINT"}]}').result) as r,
        fetched_at,
        data_mode
    from responses
),

typed as (
    select
        r.instrument_name as instrument,
        {{ deribit_asset('r.instrument_name') }} as asset,
        r.instrument_name like '%-PERPETUAL' as is_perpetual,
        regexp_extract(r.instrument_name, '^[A-Z]+(?:_[A-Z]+)?-(\d{1,2}[A-Z]{3}\d{2})$', 1) as expiry_code,
        -- Linear products are quoted in USDC (older answers omit quote_currency: the name says _USDC).
        coalesce(r.quote_currency in ('USDC', 'USDT'), r.instrument_name like '%\_USD_-%' escape '\') as is_linear,
        r.mark_price,
        -- The book summary has no index_price: its estimated_delivery_price is the index.
        coalesce(r.index_price, r.estimated_delivery_price) as index_price,
        r.open_interest,
        r.funding_8h,
        r.current_funding,
        r.volume,
        r.volume_usd,
        r.bid_price,
        r.ask_price,
        coalesce(r.last, r.last_price) as last_price,
        {{ epoch_ms_to_ts('coalesce(r.timestamp, r.creation_timestamp)') }} as venue_at,
        fetched_at,
        data_mode
    from records
    where r.instrument_name is not null
),

futures as (
    select
        *,
        case when is_perpetual then 'perpetual' when expiry_code <> '' then 'future' end as contract_type,
        case when not is_perpetual then {{ deribit_expiry("nullif(expiry_code, '')") }} end as expiry_at,
        case when is_linear then open_interest else open_interest / nullif(mark_price, 0) end as oi_coin,
        case when is_linear then open_interest * mark_price else open_interest end as oi_usd,
        case when is_perpetual then funding_8h end as funding_rate
    from typed
    -- Future combos (BTC-FS-27DEC24_PERP) are spreads between these instruments, not instruments.
    where is_perpetual or expiry_code <> ''
)

select
    'deribit' as exchange,
    asset,
    instrument,
    -- The flagship perpetual: the inverse one for BTC and ETH, the USDC one for the linear assets.
    is_perpetual
    and instrument = case when asset in ('BTC', 'ETH') then asset || '-PERPETUAL' else asset || '_USDC-PERPETUAL' end
        as is_primary,
    fetched_at as observed_at,
    funding_rate,
    cast(case when funding_rate is not null then 8 end as double) as funding_interval_hours,
    {{ funding_rate_8h('funding_rate', '8') }} as funding_rate_8h,
    {{ funding_apr('funding_rate', '8') }} as funding_apr,
    cast(null as timestamptz) as next_funding_at,
    mark_price,
    index_price,
    data_mode,
    oi_coin,
    oi_usd,
    cast(null as double) as long_oi_usd,
    cast(null as double) as short_oi_usd,
    'snapshot' as oi_source,
    contract_type,
    expiry_at,
    -- Venue fields kept as received.
    current_funding,
    open_interest as open_interest_raw,
    case when is_linear then 'coin' else 'usd' end as open_interest_unit,
    volume as volume_coin,
    volume_usd,
    bid_price,
    ask_price,
    last_price,
    venue_at,
    fetched_at
from futures
qualify row_number() over (partition by instrument, fetched_at order by venue_at desc nulls last) = 1
