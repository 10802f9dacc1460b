-- Carry trades worth a look now, one row per (asset, exchange, instrument) at its latest observation: points of
-- the current term structure whose annualised yield is at least var('basis_min_yield').
-- A dated future above spot is a cash-and-carry (buy spot, sell the future, hold to expiry: the basis is locked
-- in); a perpetual with positive funding is a funding carry (buy spot, short the perpetual, collect funding:
-- the yield floats with the rate). Yields are simple annualised fractions before fees and margin costs.
with term as (
    select *
    from {{ ref('fct_basis_term_structure') }}
    where {{ options_at_least('annualised_yield', var('basis_min_yield')) }}
)

select
    asset,
    exchange,
    instrument,
    observed_at,
    contract_type,
    expiry_at,
    days_to_expiry,
    mark_price,
    spot_price,
    basis,
    annualised_yield,
    yield_kind,
    case when contract_type = 'perpetual' then 'funding_carry' else 'cash_and_carry' end as carry_kind,
    case
        when contract_type = 'perpetual' then 'buy spot, short the perpetual'
        else 'buy spot, sell the future'
    end as trade,
    cast({{ var('basis_min_yield') }} as double) as min_yield,
    cast(row_number() over (
        partition by asset order by annualised_yield desc, exchange, instrument
    ) as integer) as opportunity_rank,
    data_mode
from term
