-- One row per asset: the cross-venue funding level now (from fct_funding_current, one row per venue).
-- The average is weighted by each venue's open interest in USD, sum(rate_8h x oi_usd) / sum(oi_usd), over the
-- venues that report OI: a trader's average cost is dominated by where the positions are. Venues without OI
-- still count in venue_count and the spread; when no venue has OI the plain mean is used and `weighting`
-- says 'equal'. Level and sentiment follow the funding thresholds (macros in macros/signals.sql).
with venues as (
    select * from {{ ref('fct_funding_current') }}
),

weighted as (
    select
        asset,
        max(as_of) as as_of,
        cast(count(*) as integer) as venue_count,
        cast(count(*) filter (where oi_usd > 0) as integer) as oi_venue_count,
        sum(current_rate_8h * oi_usd) filter (where oi_usd > 0)
            / sum(oi_usd) filter (where oi_usd > 0) as oi_weighted_rate_8h,
        avg(current_rate_8h) as mean_rate_8h,
        max(current_rate_8h) - min(current_rate_8h) as cross_venue_spread_8h,
        sum(oi_usd) as total_oi_usd,
        min(data_mode) as data_mode
    from venues
    group by asset
),

chosen as (
    select
        *,
        case when oi_venue_count > 0 then oi_weighted_rate_8h else mean_rate_8h end as weighted_rate_8h,
        case when oi_venue_count > 0 then 'open_interest' else 'equal' end as weighting
    from weighted
)

select
    asset,
    as_of,
    venue_count,
    oi_venue_count,
    weighted_rate_8h,
    {{ funding_apr('weighted_rate_8h', 8) }} as weighted_apr,
    weighting,
    cross_venue_spread_8h,
    total_oi_usd,
    {{ funding_level_unsigned('weighted_rate_8h') }} as funding_level,
    {{ funding_sentiment('weighted_rate_8h') }} as sentiment,
    data_mode
from chosen
