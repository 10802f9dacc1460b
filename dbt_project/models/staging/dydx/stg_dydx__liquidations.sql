-- One row per dYdX v4 liquidation fill (event_key = ticker:id), from /v4/trades/perpetualMarket/{ticker}: fills
-- of type LIQUIDATED (the protocol's liquidation order filled on the book) and DELEVERAGED (an insolvent
-- position closed against a counterparty), the venue's liquidations per the reference. `side` is the taker's
-- side, and the taker of such a fill is the liquidated account's closing order: SELL closes a long (a long
-- was liquidated), BUY a short. Sizes are in base coin. The rows do not name their market: the request path
-- does. Pages repeat the block they meet at and each day's last page reaches into the day before: one row per
-- (ticker, id), the latest fetch wins.
with responses as (
    select
        payload,
        regexp_extract(endpoint, '/perpetualMarkets?/([^/?]+)$', 1) as instrument,
        fetched_at,
        data_mode
    from {{ source('dydx', 'trades') }}
    where http_status = 200 and json_valid(payload)
),

trades as (
    select
        unnest(from_json(payload, '{"trades":[{"id":"VARCHAR","side":"VARCHAR","size":"VARCHAR","price":"VARCHAR","type":"VARCHAR","createdAt":"VARCHAR","createdAtHeight":"VARCHAR"}]}').trades) as t,
        instrument,
        fetched_at,
        data_mode
    from responses
    where instrument <> ''
),

liquidations as (
    select
        instrument,
        t.id as trade_id,
        t.type as trade_type,
        t.side as taker_side,
        try_cast(t.size as double) as quantity_coin,
        try_cast(t.price as double) as price,
        try_cast(t.createdAt as timestamptz) as liquidated_at,
        try_cast(t.createdAtHeight as bigint) as created_at_height,
        fetched_at,
        data_mode
    from trades
    where t.type in ('LIQUIDATED', 'DELEVERAGED') and t.id is not null and t.side in ('BUY', 'SELL')
    qualify row_number() over (partition by instrument, t.id order by fetched_at desc) = 1
)

select
    'dydx' as exchange,
    split_part(instrument, '-', 1) as asset,
    instrument,
    liquidated_at,
    case taker_side when 'SELL' then 'long' else 'short' end as position_side,
    price,
    quantity_coin,
    price * quantity_coin as size_usd,
    instrument || ':' || trade_id as event_key,
    'trades' as liquidation_source,
    data_mode,
    trade_id,
    trade_type,
    taker_side,
    created_at_height,
    fetched_at
from liquidations
