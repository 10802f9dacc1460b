-- The funding marts' (exchange, instrument) pairs exist in dim_instruments: a two-column key, which dbt's
-- `relationships` test (one column) cannot check. Fails with the pairs that are missing.
with used as (
    select distinct exchange, instrument from {{ ref('fct_funding_rates') }}
    union
    select distinct exchange, instrument from {{ ref('fct_funding_current') }}
    union
    select distinct exchange, instrument from {{ ref('fct_funding_hourly') }}
)

select used.exchange, used.instrument
from used
left join {{ ref('dim_instruments') }} as d
    on d.exchange = used.exchange and d.instrument = used.instrument
where d.instrument is null
