-- The hourly price of each asset, one row per (asset, hour_at), every hour from the asset's first candle to
-- its last: the median across venues of the primary perpetuals' hourly candles (a single venue's bad print
-- cannot move it). Hours no venue covered carry the previous close forward (is_filled = true) so that
-- window functions over "the last 24 hours" count rows as hours.
with venue_candles as (
    select asset, hour_at, open, high, low, close, volume_usd
    from {{ ref('int_candles_1h') }}
    where is_primary and close > 0
),

per_hour as (
    select
        asset,
        hour_at,
        median(open) as open,
        median(high) as high,
        median(low) as low,
        median(close) as close,
        sum(volume_usd) as volume_usd,
        count(*) as venue_count
    from venue_candles
    group by asset, hour_at
),

bounds as (
    select asset, min(hour_at) as first_hour, max(hour_at) as last_hour
    from per_hour
    group by asset
),

spine as (
    select b.asset, unnest(generate_series(b.first_hour, b.last_hour, interval 1 hour)) as hour_at
    from bounds as b
),

joined as (
    select
        s.asset,
        s.hour_at,
        p.open,
        p.high,
        p.low,
        p.close,
        p.volume_usd,
        coalesce(p.venue_count, 0) as venue_count,
        last_value(p.close ignore nulls) over (
            partition by s.asset order by s.hour_at rows between unbounded preceding and current row
        ) as carried_close
    from spine as s
    left join per_hour as p using (asset, hour_at)
)

select
    asset,
    hour_at,
    coalesce(open, carried_close) as open,
    coalesce(high, carried_close) as high,
    coalesce(low, carried_close) as low,
    carried_close as close,
    coalesce(volume_usd, 0) as volume_usd,
    venue_count,
    venue_count = 0 as is_filled
from joined
