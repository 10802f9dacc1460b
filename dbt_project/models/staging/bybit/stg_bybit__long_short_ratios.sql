-- STUB: columns only, replaced by the real parser.
select
    cast(null as varchar) as exchange,
    cast(null as varchar) as asset,
    cast(null as varchar) as instrument,
    cast(null as timestamp with time zone) as observed_at,
    cast(null as varchar) as ratio_kind,
    cast(null as double) as long_share,
    cast(null as double) as short_share,
    cast(null as double) as long_short_ratio,
    cast(null as varchar) as data_mode
where false
