-- STUB: columns only, replaced by the real parser.
select
    cast(null as varchar) as exchange,
    cast(null as varchar) as asset,
    cast(null as varchar) as instrument,
    cast(null as boolean) as is_primary,
    cast(null as timestamp with time zone) as funding_at,
    cast(null as double) as funding_rate,
    cast(null as double) as funding_interval_hours,
    cast(null as double) as funding_rate_8h,
    cast(null as double) as funding_apr,
    cast(null as varchar) as data_mode
where false
