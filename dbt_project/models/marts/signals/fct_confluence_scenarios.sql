-- Confluence scenarios that fired, one row per (asset, hour_at, scenario_id): the scenario's name, its
-- trading bias, whether it is the hour's active (highest-priority) scenario, and the evidence that made it
-- fire as one readable line plus the numbers behind it.
with state as (
    select * from {{ ref('fct_market_state') }}
),

fired as (
    select asset, hour_at, 1 as scenario_id, state.* exclude (asset, hour_at) from state where is_long_squeeze
    union all
    select asset, hour_at, 2, state.* exclude (asset, hour_at) from state where is_short_squeeze
    union all
    select asset, hour_at, 3, state.* exclude (asset, hour_at) from state where is_healthy_trend
    union all
    select asset, hour_at, 4, state.* exclude (asset, hour_at) from state where is_exhaustion
    union all
    select asset, hour_at, 5, state.* exclude (asset, hour_at) from state where is_vacuum
    union all
    select asset, hour_at, 6, state.* exclude (asset, hour_at) from state where is_pre_event
)

select
    asset,
    hour_at,
    cast(scenario_id as integer) as scenario_id,
    {{ scenario_name('scenario_id') }} as scenario_name,
    case scenario_id
        when 1 then 'bearish: crowded longs, downside flush risk'
        when 2 then 'bullish: crowded shorts, upside squeeze risk'
        when 3 then case when trend > 0 then 'bullish: trend continuation' else 'bearish: trend continuation' end
        when 4 then case when trend > 0 then 'bearish: late longs, reversal risk' else 'bullish: late shorts, reversal risk' end
        when 5 then 'neutral: low conviction, breakout pending'
        when 6 then 'neutral: volatility expansion likely, direction open'
    end as bias,
    scenario_id = active_scenario as is_active,
    printf(
        'funding %.4f%% per 8h; OI %s%.1f%% 24h, %s%.1f%% 48h, %.1f%% vs 30d median; price %s%.1f%% 72h; '
        || 'dense levels 3-5%%: longs %.1f%% of OI below, shorts %.1f%% above',
        funding_8h * 100,
        case when oi_change_24h >= 0 then '+' else '' end, coalesce(oi_change_24h, 0) * 100,
        case when oi_change_48h >= 0 then '+' else '' end, coalesce(oi_change_48h, 0) * 100,
        coalesce(oi_vs_30d_median, 0) * 100,
        case when price_change_72h >= 0 then '+' else '' end, coalesce(price_change_72h, 0) * 100,
        long_density_3_5 * 100,
        short_density_3_5 * 100
    ) as evidence,
    close,
    funding_8h,
    funding_accel_8h,
    oi_change_24h,
    oi_change_48h,
    oi_vs_30d_median,
    price_change_72h,
    long_density_3_5,
    short_density_3_5,
    nearest_dense_long_price,
    nearest_dense_short_price
from fired
