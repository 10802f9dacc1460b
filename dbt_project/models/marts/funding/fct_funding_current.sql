-- The funding picture now, one row per (exchange, asset): the open period's rate, its 24 h and 7 d
-- averages of settled rates, the next funding time and open interest. All rates are also given per
-- 8 h and per year using the instrument's real interval. "Now" is the venue's own observation time
-- (as_of), not the wall clock, so the mart is a pure function of the data.
with latest_premium as (
    select *
    from {{ ref('stg_binance__premium_indexes') }}
    where instrument like '%USDT'
    qualify row_number() over (partition by instrument order by observed_at desc) = 1
),

latest_info_snapshot as (
    select max(snapshot_at) as snapshot_at from {{ ref('stg_binance__funding_infos') }}
),

latest_info as (
    select i.instrument, i.funding_interval_hours
    from {{ ref('stg_binance__funding_infos') }} as i
    join latest_info_snapshot as s on i.snapshot_at = s.snapshot_at
),

latest_settled as (
    select instrument, funding_interval_hours
    from {{ ref('fct_funding_rates') }}
    qualify row_number() over (partition by instrument order by funding_at desc) = 1
),

intervals as (
    select
        p.instrument,
        cast(case
            when li.funding_interval_hours is not null then li.funding_interval_hours
            -- Binance lists only adjusted symbols; unlisted ones settle every 8 h.
            when (select snapshot_at from latest_info_snapshot) is not null then 8
            else coalesce(ls.funding_interval_hours, 8)
        end as integer) as funding_interval_hours
    from latest_premium as p
    left join latest_info as li using (instrument)
    left join latest_settled as ls using (instrument)
),

averages as (
    select
        p.instrument,
        avg(h.funding_rate_8h) filter (where h.funding_at > p.observed_at - interval 24 hour) as avg_24h_rate_8h,
        count(h.funding_at) filter (where h.funding_at > p.observed_at - interval 24 hour) as settlements_24h,
        avg(h.funding_rate_8h) as avg_7d_rate_8h,
        count(h.funding_at) as settlements_7d,
        max(h.funding_at) as last_settled_at
    from latest_premium as p
    left join {{ ref('fct_funding_rates') }} as h
        on h.instrument = p.instrument
        and h.funding_at > p.observed_at - interval 7 day
        and h.funding_at <= p.observed_at
    group by p.instrument
),

latest_oi as (
    select instrument, oi_coin, observed_at
    from {{ ref('stg_binance__open_interests') }}
    qualify row_number() over (partition by instrument order by observed_at desc) = 1
)

select
    p.exchange,
    p.asset,
    p.instrument,
    p.observed_at as as_of,
    i.funding_interval_hours,
    p.current_funding_rate,
    {{ funding_rate_8h('p.current_funding_rate', 'i.funding_interval_hours') }} as current_rate_8h,
    {{ funding_apr('p.current_funding_rate', 'i.funding_interval_hours') }} as current_apr,
    a.avg_24h_rate_8h,
    a.avg_7d_rate_8h,
    {{ funding_apr('a.avg_7d_rate_8h', 8) }} as avg_7d_apr,
    cast(a.settlements_24h as integer) as settlements_24h,
    cast(a.settlements_7d as integer) as settlements_7d,
    a.last_settled_at,
    p.next_funding_at,
    p.mark_price,
    p.index_price,
    oi.oi_coin,
    oi.oi_coin * p.mark_price as oi_usd,
    oi.observed_at as oi_observed_at,
    p.data_mode
from latest_premium as p
join intervals as i using (instrument)
join averages as a using (instrument)
left join latest_oi as oi using (instrument)
