-- The perpetuals and futures of the basis marts are known (exchange, instrument) pairs of dim_instruments
-- (a two-column key, which dbt's one-column `relationships` test cannot check). fct_basis_term_structure and
-- fct_carry_opportunities are cut from fct_basis, so checking all three catches a join that invents pairs.
-- Fails with the missing pairs.
with used as (
    select distinct exchange, instrument from {{ ref('fct_basis') }}
    union
    select distinct exchange, instrument from {{ ref('fct_basis_term_structure') }}
    union
    select distinct exchange, instrument from {{ ref('fct_carry_opportunities') }}
)

select used.exchange, used.instrument
from used
left join {{ ref('dim_instruments') }} as d
    on d.exchange = used.exchange and d.instrument = used.instrument
where d.instrument is null
