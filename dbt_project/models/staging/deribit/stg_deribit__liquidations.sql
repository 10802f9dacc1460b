-- STUB: columns only, replaced by the real parser.
select
    cast(null as varchar) as exchange,
    cast(null as varchar) as asset,
    cast(null as varchar) as instrument,
    cast(null as timestamp with time zone) as liquidated_at,
    cast(null as varchar) as position_side,
    cast(null as double) as price,
    cast(null as double) as quantity_coin,
    cast(null as double) as size_usd,
    cast(null as varchar) as event_key,
    cast(null as varchar) as liquidation_source,
    cast(null as varchar) as data_mode
where false
