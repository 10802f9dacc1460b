-- One row per Deribit option trade (trade_key = Deribit's trade_id), from get_last_trades_by_currency_and_time
-- (kind=option). Combo trades (BTC-CS-19MAY26-70000_75000) are left out as such; their legs, which Deribit
-- nests under `legs`, are option trades of their own (their trade_id is the leg's). Units: amount is in coin
-- (one contract = one coin); inverse options are priced in the coin, so price_usd = price x index_price, while
-- linear USDC options are priced in USDC already; iv is percent; direction is the taker's side. Paging and
-- re-fetched days repeat trades: one row per trade_id, the latest fetch wins.
{%- set trade_fields -%}
"trade_id":"VARCHAR","timestamp":"BIGINT","instrument_name":"VARCHAR","direction":"VARCHAR","amount":"DOUBLE","price":"DOUBLE","index_price":"DOUBLE","mark_price":"DOUBLE","iv":"DOUBLE","block_trade_id":"VARCHAR","block_trade_leg_count":"INTEGER","combo_trade_id":"VARCHAR","combo_id":"VARCHAR","trade_seq":"BIGINT"
{%- endset %}
{%- set columns = ['trade_id', 'timestamp', 'instrument_name', 'direction', 'amount', 'price', 'index_price',
                   'mark_price', 'iv', 'block_trade_id', 'block_trade_leg_count', 'combo_trade_id', 'combo_id',
                   'trade_seq'] %}

with responses as (
    select payload, fetched_at, data_mode
    from {{ source('deribit', 'trades_options') }}
    where http_status = 200 and json_valid(payload)
),

trades as (
    select
        unnest(from_json(payload, '{"result":{"trades":[{ {{- trade_fields -}} ,"legs":[{ {{- trade_fields -}} }]}]}}').result.trades) as t,
        fetched_at,
        data_mode
    from responses
),

legs as (
    select unnest(t.legs) as l, fetched_at, data_mode
    from trades
),

flattened as (
    select {% for c in columns %}t.{{ c }}, {% endfor %}fetched_at, data_mode
    from trades
    union all
    select {% for c in columns %}l.{{ c }}, {% endfor %}fetched_at, data_mode
    from legs
),

parsed as (
    select
        *,
        {{ deribit_option_parts('instrument_name') }} as parts,
        instrument_name like '%\_USD_-%' escape '\' as is_linear
    from flattened
    where trade_id is not null and timestamp is not null
    qualify row_number() over (partition by trade_id order by fetched_at desc) = 1
),

typed as (
    select
        *,
        case when is_linear then price else price * index_price end as price_usd
    from parsed
    -- Anything not named like a single option (combos, futures) is not an option trade.
    where parts.cp <> ''
)

select
    'deribit' as exchange,
    {{ deribit_asset('instrument_name') }} as asset,
    instrument_name as instrument,
    {{ epoch_ms_to_ts('timestamp') }} as traded_at,
    trade_id as trade_key,
    {{ deribit_expiry('parts.expiry_code') }} as expiry_at,
    {{ deribit_strike('parts.strike_code') }} as strike,
    case parts.cp when 'C' then 'call' when 'P' then 'put' end as option_type,
    direction as taker_side,
    amount as amount_coin,
    price_usd,
    amount * index_price as notional_usd,
    amount * price_usd as premium_usd,
    iv / 100.0 as trade_iv,
    block_trade_id is not null as is_block,
    data_mode,
    -- Venue fields kept as received.
    price as price_quote,
    index_price,
    mark_price as mark_price_quote,
    block_trade_id,
    block_trade_leg_count,
    combo_trade_id,
    combo_id,
    trade_seq,
    fetched_at
from typed
