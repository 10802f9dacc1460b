-- Open positions per asset and hour over all venues and instruments, and how many were opened and closed
-- in the hour: one row per (asset, hour_at) for every hour of int_price_spine, with the hour's OHLC.
-- It feeds the estimated liquidation levels (new positions add levels, closed ones shrink them) and gives
-- the proximity mart the total OI that level mass is compared with.
-- Why it is built this way:
-- * A series is (exchange, instrument): a venue's snapshot and history endpoints describe the same
--   positions, so they are one series, and its value for an hour is the hour's last observation.
-- * Positions are counted in coin (oi_usd / close where a venue reports USD only): a price move alone
--   changes oi_usd of linear contracts and must not look like new positions. USD = coin x the hour's close.
-- * A series' first observation is stock of unknown entry price, not new positions: it enters the total
--   but not the increase (otherwise a venue added later would look like a wave of new positions).
-- * Increases and decreases are summed separately over series (gross): positions opened on one venue and
--   closed on another are distinct positions, not a net zero.
-- * The total carries each series' last value forward, so a series missing for a few hours neither
--   drops out of the total nor counts as closed positions; its change lands in the hour it reappears.
{{ config(materialized='view') }}

with spine as (
    select asset, hour_at, open, high, low, close
    from {{ ref('int_price_spine') }}
),

observations as (
    select
        exchange,
        asset,
        instrument,
        {{ liq_floor_hour('observed_at') }} as hour_at,
        observed_at,
        oi_source,
        oi_coin,
        oi_usd
    from {{ ref('int_open_interest') }}
    where oi_coin is not null or oi_usd is not null
),

series_hours as (
    select *
    from observations
    qualify row_number() over (
        partition by exchange, instrument, hour_at order by observed_at desc, oi_source
    ) = 1
),

in_coin as (
    select
        o.exchange,
        o.asset,
        o.instrument,
        o.hour_at,
        coalesce(o.oi_coin, o.oi_usd / nullif(s.close, 0)) as oi_coin
    from series_hours as o
    inner join spine as s using (asset, hour_at)
),

changes as (
    select
        *,
        oi_coin - lag(oi_coin) over (partition by exchange, instrument order by hour_at) as change_coin
    from in_coin
    where oi_coin is not null
),

per_hour as (
    select
        asset,
        hour_at,
        -- What the running total adds: a new series its full value, a known one its change.
        sum(coalesce(change_coin, oi_coin)) as total_step_coin,
        coalesce(sum(change_coin) filter (where change_coin > 0), 0) as oi_increase_coin,
        coalesce(-sum(change_coin) filter (where change_coin < 0), 0) as oi_decrease_coin,
        count(*) filter (where change_coin is null) as series_entering,
        count(*) as series_observed
    from changes
    group by asset, hour_at
),

running as (
    select
        s.asset,
        s.hour_at,
        s.open,
        s.high,
        s.low,
        s.close,
        sum(coalesce(p.total_step_coin, 0)) over w as total_oi_coin,
        sum(coalesce(p.series_entering, 0)) over w as series_count,
        coalesce(p.series_observed, 0) as series_observed,
        coalesce(p.oi_increase_coin, 0) as oi_increase_coin,
        coalesce(p.oi_decrease_coin, 0) as oi_decrease_coin
    from spine as s
    left join per_hour as p using (asset, hour_at)
    window w as (partition by s.asset order by s.hour_at rows between unbounded preceding and current row)
)

select
    asset,
    hour_at,
    open,
    high,
    low,
    close,
    case when series_count > 0 then total_oi_coin end as total_oi_coin,
    case when series_count > 0 then total_oi_coin * close end as total_oi_usd,
    lag(case when series_count > 0 then total_oi_coin end) over (
        partition by asset order by hour_at
    ) as prev_total_oi_coin,
    oi_increase_coin,
    oi_decrease_coin,
    cast(series_count as integer) as series_count,
    cast(series_observed as integer) as series_observed
from running
