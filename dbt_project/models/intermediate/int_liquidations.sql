-- Liquidation events with the side of the liquidated position, one row per (exchange, event_key).
-- A plain union of the venues' staging models; each staging model exposes these columns.

select exchange, asset, instrument, liquidated_at, position_side, price, quantity_coin, size_usd, event_key, liquidation_source, data_mode
from {{ ref('stg_binance__liquidations') }}
union all
select exchange, asset, instrument, liquidated_at, position_side, price, quantity_coin, size_usd, event_key, liquidation_source, data_mode
from {{ ref('stg_bybit__liquidations') }}
union all
select exchange, asset, instrument, liquidated_at, position_side, price, quantity_coin, size_usd, event_key, liquidation_source, data_mode
from {{ ref('stg_bitmex__liquidations') }}
union all
select exchange, asset, instrument, liquidated_at, position_side, price, quantity_coin, size_usd, event_key, liquidation_source, data_mode
from {{ ref('stg_okx__liquidations') }}
union all
select exchange, asset, instrument, liquidated_at, position_side, price, quantity_coin, size_usd, event_key, liquidation_source, data_mode
from {{ ref('stg_deribit__liquidations') }}
union all
select exchange, asset, instrument, liquidated_at, position_side, price, quantity_coin, size_usd, event_key, liquidation_source, data_mode
from {{ ref('stg_dydx__liquidations') }}
