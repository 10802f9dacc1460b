-- Taker flow per venue and hour, one row per (asset, exchange, hour_at): taker buy and sell volume (coin and
-- USD at the hour's close) of the venue's primary perpetual and their ratio. Only venues that publish the
-- taker split in their candles appear (Binance's klines carry taker buy volume; Bybit, OKX, BitMEX, dYdX and
-- Drift candles do not). History-sized: incremental on the partition window.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['asset', 'exchange', 'hour_at'],
        on_schema_change='fail',
        pre_hook=[
            "{{ delete_window_rows('hour_at') }}",
        ],
    )
}}

select
    asset,
    exchange,
    hour_at,
    instrument,
    taker_buy_coin,
    taker_sell_coin,
    taker_buy_coin * close as taker_buy_usd,
    taker_sell_coin * close as taker_sell_usd,
    taker_buy_coin / nullif(taker_sell_coin, 0) as buy_sell_ratio,
    taker_buy_coin - taker_sell_coin as delta_coin,
    data_mode
from {{ ref('int_candles_1h') }}
where is_primary
    and taker_buy_coin is not null
    and taker_sell_coin is not null
{% if is_incremental() %}
    and {{ in_window('hour_at') }}
{% endif %}
