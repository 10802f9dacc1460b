-- Every option of fct_option_chain is a known (exchange, instrument) of dim_instruments: a two-column key,
-- which dbt's one-column `relationships` test cannot check. The chain and the instrument lists are
-- snapshotted in the same hourly run, so a chain option missing from the dimension means a parsing or
-- naming mismatch between the two. Fails with the missing pairs.
select distinct c.exchange, c.instrument
from {{ ref('fct_option_chain') }} as c
left join {{ ref('dim_instruments') }} as d
    on d.exchange = c.exchange and d.instrument = c.instrument
where d.instrument is null
