-- The instrument dimension, one row per (exchange, instrument): every venue's instrument list mapped to
-- the assets users type (BTC, ETH, SOL), with contract size and unit, settlement currency, expiry,
-- strike, option type and funding interval. Built from each venue's stg_<venue>__instruments, which all
-- share the same columns.
{% set venues = ['binance', 'bybit', 'okx', 'deribit', 'bitmex', 'dydx', 'gmx', 'drift'] %}

with unioned as (
    {% for venue in venues %}
    select
        exchange, instrument, asset, kind, quote_currency, settlement_currency, contract_size, contract_unit,
        expiry_at, strike, option_type, funding_interval_hours, is_active, observed_at
    from {{ ref('stg_' ~ venue ~ '__instruments') }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    exchange,
    instrument,
    upper(asset) as asset,
    kind,
    quote_currency,
    settlement_currency,
    cast(contract_size as double) as contract_size,
    contract_unit,
    expiry_at,
    cast(strike as double) as strike,
    option_type,
    cast(funding_interval_hours as double) as funding_interval_hours,
    is_active,
    observed_at
from unioned
qualify row_number() over (partition by exchange, instrument order by observed_at desc) = 1
