-- The open period's funding as observed by our hourly snapshots, one row per (exchange, instrument, observed_at).
-- A plain union of the venues' staging models; each staging model exposes these columns.

select exchange, asset, instrument, is_primary, observed_at, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, next_funding_at, mark_price, index_price, data_mode
from {{ ref('stg_binance__premium_indexes') }}
where funding_rate is not null
union all
select exchange, asset, instrument, is_primary, observed_at, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, next_funding_at, mark_price, index_price, data_mode
from {{ ref('stg_binance__coinm_premium_indexes') }}
where funding_rate is not null
union all
select exchange, asset, instrument, is_primary, observed_at, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, next_funding_at, mark_price, index_price, data_mode
from {{ ref('stg_bybit__tickers') }}
where funding_rate is not null
union all
select exchange, asset, instrument, is_primary, observed_at, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, next_funding_at, mark_price, index_price, data_mode
from {{ ref('stg_okx__funding_snapshots') }}
where funding_rate is not null
union all
select exchange, asset, instrument, is_primary, observed_at, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, next_funding_at, mark_price, index_price, data_mode
from {{ ref('stg_deribit__futures_summaries') }}
where funding_rate is not null
union all
select exchange, asset, instrument, is_primary, observed_at, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, next_funding_at, mark_price, index_price, data_mode
from {{ ref('stg_bitmex__contract_snapshots') }}
where funding_rate is not null
union all
select exchange, asset, instrument, is_primary, observed_at, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, next_funding_at, mark_price, index_price, data_mode
from {{ ref('stg_dydx__market_snapshots') }}
where funding_rate is not null
union all
select exchange, asset, instrument, is_primary, observed_at, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, next_funding_at, mark_price, index_price, data_mode
from {{ ref('stg_gmx__market_snapshots') }}
where funding_rate is not null
union all
select exchange, asset, instrument, is_primary, observed_at, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, next_funding_at, mark_price, index_price, data_mode
from {{ ref('stg_drift__market_snapshots') }}
where funding_rate is not null
