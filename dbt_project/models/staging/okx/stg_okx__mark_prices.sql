-- STUB: columns only, replaced by the real parser.
select
    cast(null as varchar) as exchange,
    cast(null as varchar) as asset,
    cast(null as varchar) as instrument,
    cast(null as varchar) as contract_type,
    cast(null as timestamp with time zone) as expiry_at,
    cast(null as timestamp with time zone) as observed_at,
    cast(null as double) as mark_price,
    cast(null as double) as index_price,
    cast(null as varchar) as data_mode
where false
