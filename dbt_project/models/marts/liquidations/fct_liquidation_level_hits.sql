-- How well the ESTIMATED liquidation levels matched real liquidations, one row per (asset, event_date) with
-- at least one event: the day's events, how many had estimated levels of their side to be tested against,
-- and how many were hits. A hit: the event's price lies within var liq_hit_band of a published level
-- bucket of the SAME side that was open at the start of the event's hour (the book at the end of the
-- previous hour: what the model knew before the event), i.e. bucket_price x (1 - band) <= price <=
-- bucket_price_high x (1 + band). dense_level_hits counts hits on HIGH DENSITY/CRITICAL buckets only.
-- Rates divide by events_with_levels (events the model had any level for), so hours before the model
-- had built a book do not count as misses. No vendor publishes such a hit rate; this measures ours.
-- Incremental: a run rewrites every UTC day its window touches, in full.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['asset', 'event_date'],
        on_schema_change='fail',
    )
}}

{% set band = var('liq_hit_band') %}

with events as (
    select exchange, event_key, asset, event_date, hour_at, position_side, price, size_usd
    from {{ ref('fct_liquidation_events') }}
    where price > 0
    {% if is_incremental() %}
      and {{ liq_days_in_window('event_date') }}
    {% endif %}
),

open_levels as (
    -- The book at the end of hour h is the book open during hour h + 1.
    select
        asset,
        hour_at + interval 1 hour as open_during_hour,
        side,
        bucket_price,
        bucket_price_high,
        density_label
    from {{ ref('fct_liquidation_levels') }}
    {% if is_incremental() %}
    -- The touched days start at most 24 h before the window; one more hour for the book before the first.
    where hour_at >= {{ liq_floor_hour(liq_window_start()) }} - interval 25 hour
    {% endif %}
),

sides_with_levels as (
    select distinct asset, open_during_hour, side
    from open_levels
),

matched as (
    select
        e.exchange,
        e.event_key,
        bool_or(l.side is not null) as is_hit,
        bool_or(l.density_label is not null) as is_dense_hit
    from events as e
    left join open_levels as l
        on l.asset = e.asset
        and l.open_during_hour = e.hour_at
        and l.side = e.position_side
        and e.price >= l.bucket_price * (1 - {{ band }})
        and e.price <= l.bucket_price_high * (1 + {{ band }})
    group by e.exchange, e.event_key
),

per_event as (
    select
        e.asset,
        e.event_date,
        e.size_usd,
        s.side is not null as had_levels,
        m.is_hit,
        m.is_dense_hit
    from events as e
    inner join matched as m using (exchange, event_key)
    left join sides_with_levels as s
        on s.asset = e.asset and s.open_during_hour = e.hour_at and s.side = e.position_side
)

select
    asset,
    event_date,
    cast(count(*) as integer) as events,
    coalesce(sum(size_usd), 0) as events_usd,
    cast(count(*) filter (where had_levels) as integer) as events_with_levels,
    cast(count(*) filter (where is_hit) as integer) as level_hits,
    cast(count(*) filter (where is_dense_hit) as integer) as dense_level_hits,
    coalesce(sum(size_usd) filter (where is_hit), 0) as level_hits_usd,
    count(*) filter (where is_hit) / nullif(count(*) filter (where had_levels), 0) as hit_rate,
    count(*) filter (where is_dense_hit) / nullif(count(*) filter (where had_levels), 0) as dense_hit_rate
from per_event
group by asset, event_date
