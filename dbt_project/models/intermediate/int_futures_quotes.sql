-- Perpetual and dated-futures marks with the venue's index, one row per (exchange, instrument, observed_at).
-- A plain union of the venues' staging models; each staging model exposes these columns.

select exchange, asset, instrument, contract_type, expiry_at, observed_at, mark_price, index_price, data_mode
from {{ ref('stg_binance__premium_indexes') }}
where contract_type is not null and mark_price is not null
union all
select exchange, asset, instrument, contract_type, expiry_at, observed_at, mark_price, index_price, data_mode
from {{ ref('stg_binance__coinm_premium_indexes') }}
where contract_type is not null and mark_price is not null
union all
select exchange, asset, instrument, contract_type, expiry_at, observed_at, mark_price, index_price, data_mode
from {{ ref('stg_bybit__tickers') }}
where contract_type is not null and mark_price is not null
union all
select exchange, asset, instrument, contract_type, expiry_at, observed_at, mark_price, index_price, data_mode
from {{ ref('stg_okx__mark_prices') }}
where contract_type is not null and mark_price is not null
union all
select exchange, asset, instrument, contract_type, expiry_at, observed_at, mark_price, index_price, data_mode
from {{ ref('stg_deribit__futures_summaries') }}
where contract_type is not null and mark_price is not null
union all
select exchange, asset, instrument, contract_type, expiry_at, observed_at, mark_price, index_price, data_mode
from {{ ref('stg_bitmex__contract_snapshots') }}
where contract_type is not null and mark_price is not null
