-- The funding picture now, one row per (exchange, asset) for the venue's primary perpetual (the flagship
-- contract users mean by "BTC funding on Binance"): the open period's rate from our latest snapshot, its 24 h
-- and 7 d averages of settled rates, the next funding time and the contract's open interest. Rates are also
-- given per 8 h and per year using the instrument's real interval. "Now" is the venue's own observation time
-- (as_of), not the wall clock, so the mart is a pure function of the data. Venues without a snapshot have
-- no row: the settled history alone says nothing about the open period.
with latest_snapshot as (
    select *
    from {{ ref('int_funding_snapshots') }}
    where is_primary and funding_rate is not null
    qualify row_number() over (partition by exchange, asset order by observed_at desc, instrument) = 1
),

latest_settled as (
    select exchange, instrument, funding_interval_hours
    from {{ ref('fct_funding_rates') }}
    qualify row_number() over (partition by exchange, instrument order by funding_at desc) = 1
),

-- The snapshot's own interval; a snapshot without one takes the interval of the last settlement.
with_interval as (
    select
        s.*,
        cast(coalesce(nullif(s.funding_interval_hours, 0), ls.funding_interval_hours) as integer)
            as interval_hours
    from latest_snapshot as s
    left join latest_settled as ls using (exchange, instrument)
),

averages as (
    select
        s.exchange,
        s.instrument,
        avg(h.funding_rate_8h) filter (where h.funding_at > s.observed_at - interval 24 hour) as avg_24h_rate_8h,
        count(h.funding_at) filter (where h.funding_at > s.observed_at - interval 24 hour) as settlements_24h,
        avg(h.funding_rate_8h) as avg_7d_rate_8h,
        count(h.funding_at) as settlements_7d,
        max(h.funding_at) as last_settled_at
    from latest_snapshot as s
    left join {{ ref('fct_funding_rates') }} as h
        on h.exchange = s.exchange
        and h.instrument = s.instrument
        and h.funding_at > s.observed_at - interval 7 day
        and h.funding_at <= s.observed_at
    group by s.exchange, s.instrument
),

-- The contract's latest open interest; at equal times the venue's history row wins over our snapshot.
latest_oi as (
    select exchange, instrument, oi_coin, oi_usd, observed_at
    from {{ ref('int_open_interest') }}
    where is_primary
    qualify row_number() over (
        partition by exchange, instrument order by observed_at desc, (oi_source = 'history') desc
    ) = 1
)

select
    s.exchange,
    s.asset,
    s.instrument,
    s.observed_at as as_of,
    s.interval_hours as funding_interval_hours,
    s.funding_rate as current_funding_rate,
    {{ funding_rate_8h('s.funding_rate', 's.interval_hours') }} as current_rate_8h,
    {{ funding_apr('s.funding_rate', 's.interval_hours') }} as current_apr,
    a.avg_24h_rate_8h,
    a.avg_7d_rate_8h,
    {{ funding_apr('a.avg_7d_rate_8h', 8) }} as avg_7d_apr,
    cast(a.settlements_24h as integer) as settlements_24h,
    cast(a.settlements_7d as integer) as settlements_7d,
    a.last_settled_at,
    s.next_funding_at,
    s.mark_price,
    s.index_price,
    oi.oi_coin,
    coalesce(oi.oi_usd, oi.oi_coin * s.mark_price) as oi_usd,
    oi.observed_at as oi_observed_at,
    s.data_mode
from with_interval as s
join averages as a using (exchange, instrument)
left join latest_oi as oi using (exchange, instrument)
where s.interval_hours > 0
