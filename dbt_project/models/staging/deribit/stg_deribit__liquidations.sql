-- One row per liquidated position side in a Deribit futures trade (event_key = trade_id + side), from
-- get_last_trades_by_currency_and_time (kind=future): Deribit has no liquidation feed, but a public trade that
-- closed a liquidated position carries `liquidation`: 'T' the taker was liquidated, 'M' the maker, 'MT' both
-- (two events). `direction` is the taker's order side, the maker's is the opposite, and a liquidated position is
-- closed by selling a long or buying back a short: taker sells + 'T' = a long liquidated, taker buys + 'M' = the
-- maker sold = a long liquidated (the simulator flips the taker's direction for 'M' in the same way).
-- Quantity: inverse futures count `amount` in USD, so coin = amount / price; linear USDC ones in coin.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('deribit', 'trades_futures') }}
    where http_status = 200 and json_valid(payload)
),

trades as (
    select
        unnest(from_json(payload, '{"result":{"trades":[{"trade_id":"VARCHAR","timestamp":"BIGINT","instrument_name":"VARCHAR","direction":"VARCHAR","amount":"DOUBLE","price":"DOUBLE","index_price":"DOUBLE","liquidation":"VARCHAR"}]}}').result.trades) as t,
        fetched_at,
        data_mode
    from responses
),

liquidation_trades as (
    -- Paging and re-fetched days repeat trades: one row per trade_id, the latest fetch wins.
    select
        t.trade_id,
        {{ epoch_ms_to_ts('t.timestamp') }} as liquidated_at,
        t.instrument_name as instrument,
        t.direction,
        t.amount,
        t.price,
        t.index_price,
        t.liquidation,
        t.instrument_name like '%\_USD_-%' escape '\' as is_linear,
        fetched_at,
        data_mode
    from trades
    where t.liquidation in ('M', 'T', 'MT') and t.trade_id is not null and t.direction in ('buy', 'sell')
        -- Perpetuals and dated futures; combos are spreads.
        and regexp_matches(t.instrument_name, '^[A-Z]+(?:_[A-Z]+)?-(PERPETUAL|\d{1,2}[A-Z]{3}\d{2})$')
    qualify row_number() over (partition by t.trade_id order by fetched_at desc) = 1
),

liquidated_sides as (
    select *, 'taker' as liquidated_party, direction as closing_side
    from liquidation_trades
    where liquidation in ('T', 'MT')
    union all
    select *, 'maker' as liquidated_party, if(direction = 'buy', 'sell', 'buy') as closing_side
    from liquidation_trades
    where liquidation in ('M', 'MT')
),

sized as (
    select
        *,
        case when is_linear then amount else amount / nullif(price, 0) end as quantity_coin
    from liquidated_sides
)

select
    'deribit' as exchange,
    {{ deribit_asset('instrument') }} as asset,
    instrument,
    liquidated_at,
    -- Selling closes a long, buying closes a short.
    case closing_side when 'sell' then 'long' else 'short' end as position_side,
    price,
    quantity_coin,
    price * quantity_coin as size_usd,
    trade_id || ':' || liquidated_party as event_key,
    'trades' as liquidation_source,
    data_mode,
    trade_id,
    liquidation as liquidation_flag,
    liquidated_party,
    direction as taker_side,
    amount as amount_raw,
    case when is_linear then 'coin' else 'usd' end as amount_unit,
    index_price,
    fetched_at
from sized
