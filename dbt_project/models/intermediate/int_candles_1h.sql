-- Hourly candles of perpetuals, one row per (exchange, instrument, hour_at).
-- A plain union of the venues' staging models; each staging model exposes these columns.

select exchange, asset, instrument, is_primary, hour_at, open, high, low, close, volume_coin, volume_usd, taker_buy_coin, taker_sell_coin, data_mode
from {{ ref('stg_binance__candles') }}
union all
select exchange, asset, instrument, is_primary, hour_at, open, high, low, close, volume_coin, volume_usd, taker_buy_coin, taker_sell_coin, data_mode
from {{ ref('stg_bybit__candles') }}
union all
select exchange, asset, instrument, is_primary, hour_at, open, high, low, close, volume_coin, volume_usd, taker_buy_coin, taker_sell_coin, data_mode
from {{ ref('stg_okx__candles') }}
union all
select exchange, asset, instrument, is_primary, hour_at, open, high, low, close, volume_coin, volume_usd, taker_buy_coin, taker_sell_coin, data_mode
from {{ ref('stg_bitmex__candles') }}
union all
select exchange, asset, instrument, is_primary, hour_at, open, high, low, close, volume_coin, volume_usd, taker_buy_coin, taker_sell_coin, data_mode
from {{ ref('stg_dydx__candles') }}
union all
select exchange, asset, instrument, is_primary, hour_at, open, high, low, close, volume_coin, volume_usd, taker_buy_coin, taker_sell_coin, data_mode
from {{ ref('stg_drift__candles') }}
