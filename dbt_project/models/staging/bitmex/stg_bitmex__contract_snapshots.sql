-- One row per BitMEX futures contract per /instrument/active snapshot (exchange, instrument, observed_at):
-- perpetuals (typ FFWCSX: current funding, next settlement, funding interval) and dated futures (FFCCSX,
-- with expiry). observed_at is the row's own `timestamp` (the time of its values), else the fetch time.
-- Prices: markPrice is BitMEX's mark (= fairPrice under markMethod FairPrice); indicativeSettlePrice is the
-- reference index (.BXBT for XBT contracts), so it is the index price, and fairPrice is not.
-- Funding: fundingRate is the rate of the running interval, paid at fundingTimestamp (the next
-- settlement); indicativeFundingRate is the predicted rate of the interval after, kept as an extra.
-- Open interest: openInterest counts contracts, whose worth depends on the contract kind (the multipliers,
-- as in stg_bitmex__instruments; reference/exchange_api.md section 5, simulator/venues/bitmex.py Spec):
--   inverse (XBTUSD): |multiplier / underlyingToSettleMultiplier| USD (1 USD), so oi_usd = contracts;
--   quanto (ETHUSD, SOLUSD): multiplier satoshi per 1.0 of price, i.e. multiplier / 1e8 x the BTC price in
--     coin, whatever the coin's price; the BTC price is XBTUSD's index from the same response;
--   linear (XBTUSDT): 1 / underlyingToPositionMultiplier coin.
-- openValue (satoshi at the mark price) is kept as an extra.
with responses as (
    select payload, partition_key, page, fetched_at, data_mode
    from {{ source('bitmex', 'instruments') }}
    where http_status = 200 and json_valid(payload)
),

records as (
    select
        unnest(from_json(payload, '[{"symbol":"VARCHAR","rootSymbol":"VARCHAR","state":"VARCHAR","typ":"VARCHAR","expiry":"VARCHAR","quoteCurrency":"VARCHAR","settlCurrency":"VARCHAR","multiplier":"DOUBLE","underlyingToSettleMultiplier":"DOUBLE","underlyingToPositionMultiplier":"DOUBLE","isQuanto":"BOOLEAN","isInverse":"BOOLEAN","fundingRate":"DOUBLE","indicativeFundingRate":"DOUBLE","fundingTimestamp":"VARCHAR","fundingInterval":"VARCHAR","markPrice":"DOUBLE","fairPrice":"DOUBLE","indicativeSettlePrice":"DOUBLE","lastPrice":"DOUBLE","openInterest":"DOUBLE","openValue":"DOUBLE","fairBasisRate":"DOUBLE","timestamp":"VARCHAR"}]')) as r,
        partition_key,
        page,
        fetched_at,
        data_mode
    from responses
),

btc_reference as (
    -- The BTC price a quanto's size needs, from the XBTUSD row of the same response.
    select partition_key, page, coalesce(r.indicativeSettlePrice, r.markPrice) as btc_price
    from records
    where r.symbol = 'XBTUSD'
    qualify row_number() over (partition by partition_key, page order by fetched_at desc) = 1
),

typed as (
    select
        r.symbol as instrument,
        case when r.rootSymbol = 'XBT' then 'BTC' else r.rootSymbol end as asset,
        r.rootSymbol as root_symbol,
        case when r.typ in ('FFWCSX', 'FFWCSF') then 'perpetual' when r.typ like 'FFCCS%' then 'future' end
            as contract_type,
        cast(coalesce(try_cast(r.timestamp as timestamptz), records.fetched_at) as timestamptz) as observed_at,
        r.fundingRate as funding_rate,
        r.indicativeFundingRate as indicative_funding_rate,
        try_cast(r.fundingTimestamp as timestamptz) as next_funding_at,
        -- A duration written as an offset from 2000-01-01: "2000-01-01T08:00:00.000Z" is 8 h.
        epoch(try_cast(r.fundingInterval as timestamptz) - timestamptz '2000-01-01 00:00:00+00') / 3600.0
            as funding_interval_hours,
        try_cast(r.expiry as timestamptz) as expiry_at,
        r.markPrice as mark_price,
        r.indicativeSettlePrice as index_price,
        r.fairPrice as fair_price,
        r.lastPrice as last_price,
        r.fairBasisRate as fair_basis_rate,
        r.openInterest as open_interest_contracts,
        r.openValue as open_value_sat,
        r.quoteCurrency as quote_currency,
        coalesce(r.isInverse, false) as is_inverse,
        coalesce(r.isQuanto, false) as is_quanto,
        r.multiplier,
        r.underlyingToSettleMultiplier as underlying_to_settle,
        r.underlyingToPositionMultiplier as underlying_to_position,
        -- Minor units per coin of the settlement currency (XBt = satoshi, USDt = micro-USDT, Gwei).
        case r.settlCurrency when 'XBt' then 1e8 when 'USDt' then 1e6 when 'Gwei' then 1e9 else 1 end
            as settlement_units_per_coin,
        r.settlCurrency as settlement_currency,
        btc_reference.btc_price,
        records.fetched_at,
        records.data_mode
    from records
    left join btc_reference using (partition_key, page)
    where r.symbol is not null
),

usd_quoted as (
    -- Contracts quoted in another coin (ETHU21 in XBT, XBTEUR) have marks that are not USD prices.
    select *
    from typed
    where contract_type is not null and quote_currency in ('USD', 'USDT', 'USDC')
),

deduplicated as (
    -- The same answer stored in two partitions is one observation: keep the latest fetch.
    select *
    from usd_quoted
    qualify row_number() over (partition by instrument, observed_at order by fetched_at desc) = 1
),

sized as (
    select
        *,
        case
            when is_inverse then open_interest_contracts * abs(multiplier / coalesce(underlying_to_settle, settlement_units_per_coin))
            when is_quanto then open_interest_contracts * multiplier / settlement_units_per_coin
                * case when settlement_currency = 'XBt' then btc_price else 1.0 end * mark_price
            when underlying_to_position > 0 then open_interest_contracts / underlying_to_position * mark_price
        end as oi_usd_at_mark
    from deduplicated
)

select
    cast('bitmex' as varchar) as exchange,
    cast(asset as varchar) as asset,
    cast(instrument as varchar) as instrument,
    -- The flagship is the USD perpetual of the root (XBTUSD, ETHUSD, SOLUSD); USDT perps and futures are not.
    cast(contract_type = 'perpetual' and instrument = root_symbol || 'USD' as boolean) as is_primary,
    observed_at,
    cast(case when contract_type = 'perpetual' then funding_rate end as double) as funding_rate,
    cast(case when contract_type = 'perpetual' then funding_interval_hours end as double) as funding_interval_hours,
    cast({{ funding_rate_8h('funding_rate', 'funding_interval_hours') }} as double) as funding_rate_8h,
    cast({{ funding_apr('funding_rate', 'funding_interval_hours') }} as double) as funding_apr,
    cast(case when contract_type = 'perpetual' then next_funding_at end as timestamptz) as next_funding_at,
    cast(mark_price as double) as mark_price,
    cast(index_price as double) as index_price,
    cast(data_mode as varchar) as data_mode,
    cast(oi_usd_at_mark / nullif(mark_price, 0) as double) as oi_coin,
    cast(oi_usd_at_mark as double) as oi_usd,
    cast(null as double) as long_oi_usd,
    cast(null as double) as short_oi_usd,
    cast('snapshot' as varchar) as oi_source,
    cast(contract_type as varchar) as contract_type,
    cast(case when contract_type = 'future' then expiry_at end as timestamptz) as expiry_at,
    cast(indicative_funding_rate as double) as indicative_funding_rate,
    cast(fair_price as double) as fair_price,
    cast(last_price as double) as last_price,
    cast(fair_basis_rate as double) as fair_basis_rate,
    cast(open_interest_contracts as double) as open_interest_contracts,
    cast(open_value_sat as double) as open_value_sat,
    cast(btc_price as double) as btc_reference_price,
    fetched_at
from sized
