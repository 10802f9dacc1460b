-- STUB: columns only, replaced by the real parser.
select
    cast(null as varchar) as exchange,
    cast(null as varchar) as asset,
    cast(null as varchar) as instrument,
    cast(null as timestamp with time zone) as observed_at,
    cast(null as timestamp with time zone) as expiry_at,
    cast(null as double) as strike,
    cast(null as varchar) as option_type,
    cast(null as double) as open_interest_coin,
    cast(null as double) as open_interest_usd,
    cast(null as double) as volume_coin,
    cast(null as double) as volume_usd,
    cast(null as double) as mark_price_usd,
    cast(null as double) as mark_iv,
    cast(null as double) as underlying_price,
    cast(null as double) as delta,
    cast(null as double) as gamma,
    cast(null as double) as vega,
    cast(null as double) as theta,
    cast(null as varchar) as data_mode
where false
