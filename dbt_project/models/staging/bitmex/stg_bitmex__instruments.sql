-- One row per BitMEX instrument in the latest snapshots of /instrument/active (contracts) and
-- /instrument/indices (price indices), deduplicated. BitMEX describes a contract by its `typ` code and
-- multipliers rather than by a size:
--   inverse (XBTUSD): worth multiplier / underlyingToSettleMultiplier of the quote (1 USD), settled in XBT;
--   quanto (ETHUSD): worth multiplier settlement units per 1.0 of price (100 sat x the ETH price in USD);
--   linear (XBTUSDT, spot pairs): 1 / underlyingToPositionMultiplier coin.
-- Settlement currencies are minor units (XBt = satoshi, USDt = micro-USDT, Gwei), named here by their coin;
-- fundingInterval is a duration written as an offset from 2000-01-01 ("2000-01-01T08:00:00.000Z" = 8 h).
with snapshots as (
    select 'contracts' as snapshot, payload, partition_key, fetched_at
    from {{ source('bitmex', 'instruments') }}
    where http_status = 200 and json_valid(payload)
    union all
    select 'indices' as snapshot, payload, partition_key, fetched_at
    from {{ source('bitmex', 'indices') }}
    where http_status = 200 and json_valid(payload)
),

latest as (
    select snapshots.snapshot, payload, fetched_at
    from snapshots
    inner join (
        select snapshot, arg_max(partition_key, fetched_at) as partition_key
        from snapshots
        group by snapshot
    ) as newest using (snapshot, partition_key)
),

records as (
    select
        unnest(from_json(payload, '[{"symbol":"VARCHAR","rootSymbol":"VARCHAR","state":"VARCHAR","typ":"VARCHAR","expiry":"VARCHAR","quoteCurrency":"VARCHAR","settlCurrency":"VARCHAR","multiplier":"DOUBLE","underlyingToSettleMultiplier":"DOUBLE","underlyingToPositionMultiplier":"DOUBLE","isQuanto":"BOOLEAN","isInverse":"BOOLEAN","optionStrikePrice":"DOUBLE","fundingInterval":"VARCHAR"}]')) as r,
        fetched_at
    from latest
),

typed as (
    select
        r.symbol as instrument,
        case when r.rootSymbol = 'XBT' then 'BTC' else r.rootSymbol end as asset,
        case
            when r.typ in ('FFWCSX', 'FFWCSF') then 'perpetual'
            when r.typ like 'FFCCS%' then 'future'
            when r.typ like 'OC%' or r.typ like 'OP%' then 'option'
            when r.typ like 'IF%' then 'spot'
            when r.typ like 'MR%' then 'index'
        end as kind,
        case when r.quoteCurrency = 'XBT' then 'BTC' else r.quoteCurrency end as quote_currency,
        case r.settlCurrency
            when 'XBt' then 'BTC'
            when 'USDt' then 'USDT'
            when 'Gwei' then 'ETH'
            else nullif(upper(r.settlCurrency), '')
        end as settlement_currency,
        -- Minor units per coin of the settlement currency, to express a quanto's size in coin.
        case r.settlCurrency when 'XBt' then 1e8 when 'USDt' then 1e6 when 'Gwei' then 1e9 else 1 end
            as settlement_units_per_coin,
        r.multiplier,
        r.underlyingToSettleMultiplier as underlying_to_settle,
        r.underlyingToPositionMultiplier as underlying_to_position,
        coalesce(r.isQuanto, false) as is_quanto,
        coalesce(r.isInverse, false) as is_inverse,
        try_cast(r.expiry as timestamptz) as expiry_at,
        r.optionStrikePrice as strike,
        epoch(try_cast(r.fundingInterval as timestamptz) - timestamptz '2000-01-01 00:00:00+00') / 3600.0
            as funding_interval_hours,
        r.typ as typ,
        r.state,
        fetched_at
    from records
    where r.symbol is not null
)

select
    'bitmex' as exchange,
    instrument,
    asset,
    kind,
    quote_currency,
    settlement_currency,
    cast(case
        when kind = 'index' then null
        when is_inverse then abs(multiplier / coalesce(underlying_to_settle, settlement_units_per_coin))
        when is_quanto then multiplier / settlement_units_per_coin
        when underlying_to_position > 0 then 1.0 / underlying_to_position
        else multiplier / underlying_to_settle
    end as double) as contract_size,
    case
        when kind = 'index' then null
        -- An inverse contract is a quote-currency notional: only USD has a unit in the shared vocabulary
        -- (XBTEUR's 1 EUR is left unnamed rather than called USD).
        when is_inverse then if(quote_currency = 'USD', 'usd', null)
        when is_quanto then 'quanto'
        else 'coin'
    end as contract_unit,
    case when kind in ('future', 'option') then expiry_at end as expiry_at,
    cast(case when kind = 'option' then strike end as double) as strike,
    case when typ like 'OC%' then 'call' when typ like 'OP%' then 'put' end as option_type,
    cast(case when kind = 'perpetual' then funding_interval_hours end as double) as funding_interval_hours,
    -- Indices are never "Open" for trading; BitMEX lists the live ones.
    state = 'Open' or kind = 'index' as is_active,
    fetched_at as observed_at
from typed
-- Types outside the five kinds (BitMEX's prediction and volatility contracts) are not derivatives we track.
where kind is not null
qualify row_number() over (partition by instrument order by fetched_at desc) = 1
