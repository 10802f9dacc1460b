-- Spot, index and oracle prices per asset, one row per (exchange, asset, price_kind, observed_at).
-- A plain union of the venues' staging models; each staging model exposes these columns.

select exchange, asset, observed_at, price, price_kind, data_mode
from {{ ref('stg_binance__spot_prices') }}
where price is not null
union all
select exchange, asset, observed_at, price, price_kind, data_mode
from {{ ref('stg_bybit__tickers') }}
where price is not null
union all
select exchange, asset, observed_at, price, price_kind, data_mode
from {{ ref('stg_okx__index_prices') }}
where price is not null
union all
select exchange, asset, observed_at, price, price_kind, data_mode
from {{ ref('stg_deribit__index_prices') }}
where price is not null
union all
select exchange, asset, observed_at, price, price_kind, data_mode
from {{ ref('stg_bitmex__index_prices') }}
where price is not null
union all
select exchange, asset, observed_at, price, price_kind, data_mode
from {{ ref('stg_dydx__market_snapshots') }}
where price is not null
union all
select exchange, asset, observed_at, price, price_kind, data_mode
from {{ ref('stg_gmx__prices') }}
where price is not null
union all
select exchange, asset, observed_at, price, price_kind, data_mode
from {{ ref('stg_drift__market_snapshots') }}
where price is not null
