-- STUB: columns only, replaced by the real parser.
select
    cast(null as varchar) as exchange,
    cast(null as varchar) as asset,
    cast(null as varchar) as instrument,
    cast(null as timestamp with time zone) as traded_at,
    cast(null as varchar) as trade_key,
    cast(null as timestamp with time zone) as expiry_at,
    cast(null as double) as strike,
    cast(null as varchar) as option_type,
    cast(null as varchar) as taker_side,
    cast(null as double) as amount_coin,
    cast(null as double) as price_usd,
    cast(null as double) as notional_usd,
    cast(null as double) as premium_usd,
    cast(null as double) as trade_iv,
    cast(null as boolean) as is_block,
    cast(null as varchar) as data_mode
where false
