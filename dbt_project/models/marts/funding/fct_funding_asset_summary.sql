-- One row per asset: the cross-venue funding level now. The average is weighted by each venue's
-- open interest in USD (sum(rate_8h x oi_usd) / sum(oi_usd)); when a venue lacks OI the plain mean
-- is used and `weighting` says so. Level and sentiment follow the thresholds in dbt_project.yml.
with venues as (
    select * from {{ ref('fct_funding_current') }}
),

weighted as (
    select
        asset,
        max(as_of) as as_of,
        cast(count(*) as integer) as venue_count,
        count(oi_usd) = count(*) and sum(oi_usd) > 0 as has_oi,
        sum(current_rate_8h * oi_usd) / nullif(sum(oi_usd), 0) as oi_weighted_rate_8h,
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
        case when has_oi then oi_weighted_rate_8h else mean_rate_8h end as weighted_rate_8h,
        case when has_oi then 'open_interest' else 'equal' end as weighting
    from weighted
)

select
    asset,
    as_of,
    venue_count,
    weighted_rate_8h,
    {{ funding_apr('weighted_rate_8h', 8) }} as weighted_apr,
    weighting,
    cross_venue_spread_8h,
    total_oi_usd,
    case
        when abs(weighted_rate_8h) < {{ var('funding_neutral_8h') }} then 'neutral'
        when abs(weighted_rate_8h) < {{ var('funding_high_8h') }} then case when weighted_rate_8h > 0 then 'positive' else 'negative' end
        when abs(weighted_rate_8h) < {{ var('funding_extreme_8h') }} then 'high'
        else 'extreme'
    end as funding_level,
    case
        when abs(weighted_rate_8h) < {{ var('funding_neutral_8h') }} then 'Neutral'
        when abs(weighted_rate_8h) < {{ var('funding_high_8h') }}
            then case when weighted_rate_8h > 0 then 'Moderately Bullish' else 'Moderately Bearish' end
        when abs(weighted_rate_8h) < {{ var('funding_extreme_8h') }}
            then case when weighted_rate_8h > 0 then 'Strongly Bullish' else 'Strongly Bearish' end
        else case when weighted_rate_8h > 0 then 'Extremely Bullish (contrarian short risk)'
                  else 'Extremely Bearish (contrarian long risk)' end
    end as sentiment,
    data_mode
from chosen
