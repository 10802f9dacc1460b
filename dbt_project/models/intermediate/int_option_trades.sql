-- Option trades with block flags, one row per (exchange, trade_key).
-- A plain union of the venues' staging models; each staging model exposes these columns.

select exchange, asset, instrument, traded_at, trade_key, expiry_at, strike, option_type, taker_side, amount_coin, price_usd, notional_usd, premium_usd, trade_iv, is_block, data_mode
from {{ ref('stg_deribit__option_trades') }}
