-- Implied volatility indices (Deribit DVOL) as fractions, one row per (exchange, asset, observed_at).
-- A plain union of the venues' staging models; each staging model exposes these columns.

select exchange, asset, observed_at, dvol, data_mode
from {{ ref('stg_deribit__dvols') }}
