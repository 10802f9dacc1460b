-- Long/short account and position ratios, one row per (exchange, instrument, ratio_kind, observed_at).
-- A plain union of the venues' staging models; each staging model exposes these columns.

select exchange, asset, instrument, observed_at, ratio_kind, long_share, short_share, long_short_ratio, data_mode
from {{ ref('stg_binance__long_short_ratios') }}
union all
select exchange, asset, instrument, observed_at, ratio_kind, long_share, short_share, long_short_ratio, data_mode
from {{ ref('stg_bybit__long_short_ratios') }}
union all
select exchange, asset, instrument, observed_at, ratio_kind, long_share, short_share, long_short_ratio, data_mode
from {{ ref('stg_okx__long_short_ratios') }}
