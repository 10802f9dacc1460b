-- Notable option flow, one row per (exchange, trade_key): trades with a notional of at least
-- var('option_large_trade_usd') or printed as block trades, with the taker's side (buy/sell, when the venue
-- says), premium and IV. A block trade is labelled 'block' whatever its size, so the label says how the trade
-- was printed first and how big it was second. History-sized, incremental on traded_at.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['exchange', 'trade_key'],
        on_schema_change='fail',
        pre_hook=[
            "{{ delete_window_rows('traded_at') }}",
        ],
    )
}}

with trades as (
    select
        *,
        coalesce(is_block, false) as is_block_trade,
        coalesce(notional_usd >= {{ var('option_large_trade_usd') }}, false) as is_large_trade
    from {{ ref('int_option_trades') }}
    where trade_key is not null and traded_at is not null
    {% if is_incremental() %}
      and {{ in_window('traded_at') }}
    {% endif %}
)

select
    exchange,
    asset,
    instrument,
    traded_at,
    trade_key,
    expiry_at,
    strike,
    option_type,
    {{ options_days_between('traded_at', 'expiry_at') }} as days_to_expiry,
    taker_side as side,
    amount_coin,
    price_usd,
    notional_usd,
    premium_usd,
    trade_iv as iv,
    is_block_trade as is_block,
    is_large_trade as is_large,
    case when is_block_trade then 'block' else 'large' end as flow_label,
    data_mode
from trades
where is_block_trade or is_large_trade
