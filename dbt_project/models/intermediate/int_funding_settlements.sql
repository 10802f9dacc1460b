-- Settled (or, for continuous venues, sampled) funding of every perpetual, one row per (exchange, instrument, funding_at).
-- A plain union of the venues' staging models; each staging model exposes these columns.

select exchange, asset, instrument, is_primary, funding_at, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, data_mode
from {{ ref('stg_binance__funding_rates') }}
union all
select exchange, asset, instrument, is_primary, funding_at, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, data_mode
from {{ ref('stg_binance__coinm_funding_rates') }}
union all
select exchange, asset, instrument, is_primary, funding_at, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, data_mode
from {{ ref('stg_bybit__funding_rates') }}
union all
select exchange, asset, instrument, is_primary, funding_at, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, data_mode
from {{ ref('stg_okx__funding_rates') }}
union all
select exchange, asset, instrument, is_primary, funding_at, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, data_mode
from {{ ref('stg_deribit__funding_rates') }}
union all
select exchange, asset, instrument, is_primary, funding_at, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, data_mode
from {{ ref('stg_bitmex__funding_rates') }}
union all
select exchange, asset, instrument, is_primary, funding_at, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, data_mode
from {{ ref('stg_dydx__funding_rates') }}
union all
select exchange, asset, instrument, is_primary, funding_at, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, data_mode
from {{ ref('stg_gmx__funding_rates') }}
union all
select exchange, asset, instrument, is_primary, funding_at, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, data_mode
from {{ ref('stg_drift__funding_rates') }}
