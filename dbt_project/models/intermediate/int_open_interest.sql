-- Open interest in coin and USD, one row per (exchange, instrument, observed_at, oi_source).
-- A plain union of the venues' staging models; each staging model exposes these columns.

select exchange, asset, instrument, is_primary, observed_at, oi_coin, oi_usd, long_oi_usd, short_oi_usd, oi_source, data_mode
from {{ ref('stg_binance__open_interests') }}
where (oi_coin is not null or oi_usd is not null)
union all
select exchange, asset, instrument, is_primary, observed_at, oi_coin, oi_usd, long_oi_usd, short_oi_usd, oi_source, data_mode
from {{ ref('stg_binance__open_interest_histories') }}
where (oi_coin is not null or oi_usd is not null)
union all
select exchange, asset, instrument, is_primary, observed_at, oi_coin, oi_usd, long_oi_usd, short_oi_usd, oi_source, data_mode
from {{ ref('stg_binance__coinm_open_interests') }}
where (oi_coin is not null or oi_usd is not null)
union all
select exchange, asset, instrument, is_primary, observed_at, oi_coin, oi_usd, long_oi_usd, short_oi_usd, oi_source, data_mode
from {{ ref('stg_bybit__open_interest_histories') }}
where (oi_coin is not null or oi_usd is not null)
union all
select exchange, asset, instrument, is_primary, observed_at, oi_coin, oi_usd, long_oi_usd, short_oi_usd, oi_source, data_mode
from {{ ref('stg_bybit__tickers') }}
where (oi_coin is not null or oi_usd is not null)
union all
select exchange, asset, instrument, is_primary, observed_at, oi_coin, oi_usd, long_oi_usd, short_oi_usd, oi_source, data_mode
from {{ ref('stg_okx__open_interests') }}
where (oi_coin is not null or oi_usd is not null)
union all
select exchange, asset, instrument, is_primary, observed_at, oi_coin, oi_usd, long_oi_usd, short_oi_usd, oi_source, data_mode
from {{ ref('stg_okx__open_interest_histories') }}
where (oi_coin is not null or oi_usd is not null)
union all
select exchange, asset, instrument, is_primary, observed_at, oi_coin, oi_usd, long_oi_usd, short_oi_usd, oi_source, data_mode
from {{ ref('stg_deribit__futures_summaries') }}
where (oi_coin is not null or oi_usd is not null)
union all
select exchange, asset, instrument, is_primary, observed_at, oi_coin, oi_usd, long_oi_usd, short_oi_usd, oi_source, data_mode
from {{ ref('stg_bitmex__contract_snapshots') }}
where (oi_coin is not null or oi_usd is not null)
union all
select exchange, asset, instrument, is_primary, observed_at, oi_coin, oi_usd, long_oi_usd, short_oi_usd, oi_source, data_mode
from {{ ref('stg_dydx__market_snapshots') }}
where (oi_coin is not null or oi_usd is not null)
union all
select exchange, asset, instrument, is_primary, observed_at, oi_coin, oi_usd, long_oi_usd, short_oi_usd, oi_source, data_mode
from {{ ref('stg_dydx__candles') }}
where (oi_coin is not null or oi_usd is not null)
union all
select exchange, asset, instrument, is_primary, observed_at, oi_coin, oi_usd, long_oi_usd, short_oi_usd, oi_source, data_mode
from {{ ref('stg_gmx__market_snapshots') }}
where (oi_coin is not null or oi_usd is not null)
union all
select exchange, asset, instrument, is_primary, observed_at, oi_coin, oi_usd, long_oi_usd, short_oi_usd, oi_source, data_mode
from {{ ref('stg_drift__market_snapshots') }}
where (oi_coin is not null or oi_usd is not null)
