-- STUB: columns only, replaced by the real parser.
select
    cast(null as varchar) as exchange,
    cast(null as varchar) as asset,
    cast(null as timestamp with time zone) as observed_at,
    cast(null as double) as price,
    cast(null as varchar) as price_kind,
    cast(null as varchar) as data_mode
where false
