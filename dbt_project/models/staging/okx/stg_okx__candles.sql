-- STUB: columns only, replaced by the real parser.
select
    cast(null as varchar) as exchange,
    cast(null as varchar) as asset,
    cast(null as varchar) as instrument,
    cast(null as boolean) as is_primary,
    cast(null as timestamp with time zone) as hour_at,
    cast(null as double) as open,
    cast(null as double) as high,
    cast(null as double) as low,
    cast(null as double) as close,
    cast(null as double) as volume_coin,
    cast(null as double) as volume_usd,
    cast(null as double) as taker_buy_coin,
    cast(null as double) as taker_sell_coin,
    cast(null as varchar) as data_mode
where false
