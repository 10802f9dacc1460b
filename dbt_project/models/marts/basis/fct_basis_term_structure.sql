-- The current basis term structure, one row per (asset, observed_at, exchange, instrument): each venue's latest
-- snapshot hour of fct_basis (a venue that missed the last hour keeps its previous curve instead of vanishing),
-- live contracts only, ordered by expiry with the perpetual as the shortest point. The perpetual has no expiry,
-- so it sits at days_to_expiry 0 and its annualised yield is its funding carry (the open period's funding_apr
-- from int_funding_snapshots, the latest snapshot up to the end of the quote's hour); dated futures carry their
-- annualised basis. yield_kind labels which one a row holds.
-- term_rank orders the asset's expiries across venues (1 = perpetuals, then each expiry date);
-- venue_term_rank orders one venue's curve.
with basis as (
    select *, date_trunc('hour', observed_at) as hour_at
    from {{ ref('fct_basis') }}
),

latest_hour as (
    select exchange, asset, max(hour_at) as hour_at
    from basis
    group by exchange, asset
),

latest as (
    select b.*
    from basis as b
    inner join latest_hour as l
        on l.exchange = b.exchange and l.asset = b.asset and l.hour_at = b.hour_at
    where b.contract_type = 'perpetual' or b.expiry_at > b.observed_at
    qualify row_number() over (partition by b.exchange, b.instrument order by b.observed_at desc) = 1
),

funding as (
    select exchange, instrument, observed_at, funding_apr
    from {{ ref('int_funding_snapshots') }}
    where funding_apr is not null
),

with_funding as (
    select
        l.*,
        f.funding_apr as perp_funding_apr,
        f.observed_at as funding_observed_at
    from latest as l
    asof left join funding as f
        on f.exchange = l.exchange
        and f.instrument = l.instrument
        and l.hour_at + interval 1 hour > f.observed_at
)

select
    asset,
    observed_at,
    exchange,
    instrument,
    contract_type,
    expiry_at,
    case when contract_type = 'perpetual' then 0.0 else days_to_expiry end as days_to_expiry,
    mark_price,
    spot_price,
    spot_source,
    basis,
    case when contract_type = 'perpetual' then perp_funding_apr else basis_apr end as annualised_yield,
    case when contract_type = 'perpetual' then 'funding_apr' else 'basis_apr' end as yield_kind,
    case when contract_type = 'perpetual' then perp_funding_apr end as funding_apr,
    case when contract_type = 'perpetual' then funding_observed_at end as funding_observed_at,
    cast(dense_rank() over (partition by asset order by expiry_at nulls first) as integer) as term_rank,
    cast(row_number() over (
        partition by asset, exchange order by expiry_at nulls first, instrument
    ) as integer) as venue_term_rank,
    data_mode
from with_funding
