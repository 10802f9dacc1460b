-- Option chains, one row per (exchange, instrument, observed_at); IV as a fraction, prices in USD.
-- A plain union of the venues' staging models; each staging model exposes these columns.

select exchange, asset, instrument, observed_at, expiry_at, strike, option_type, open_interest_coin, open_interest_usd, volume_coin, volume_usd, mark_price_usd, mark_iv, underlying_price, delta, gamma, vega, theta, data_mode
from {{ ref('stg_deribit__option_summaries') }}
union all
select exchange, asset, instrument, observed_at, expiry_at, strike, option_type, open_interest_coin, open_interest_usd, volume_coin, volume_usd, mark_price_usd, mark_iv, underlying_price, delta, gamma, vega, theta, data_mode
from {{ ref('stg_okx__option_summaries') }}
union all
select exchange, asset, instrument, observed_at, expiry_at, strike, option_type, open_interest_coin, open_interest_usd, volume_coin, volume_usd, mark_price_usd, mark_iv, underlying_price, delta, gamma, vega, theta, data_mode
from {{ ref('stg_bybit__option_tickers') }}
