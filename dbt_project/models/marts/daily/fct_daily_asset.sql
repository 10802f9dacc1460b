-- The analyst's daily row, one row per (asset, day): closing price, OI-weighted funding, total OI and its
-- change, liquidations by side, the option market's put/call ratio, nearest max pain and 30-day ATM IV, the
-- best annualised basis, the scenario active at the close and the alerts fired that day. Days are UTC; "close"
-- values are those of the day's last hour. Options and basis come from our hourly snapshots, so days before
-- the warehouse started sampling them are null there (no public history exists).
with days as (
    select
        asset,
        cast(date_trunc('day', hour_at) as date) as day,
        max(hour_at) as close_hour,
        arg_max(close, hour_at) as close_price,
        max(high) as high_price,
        min(low) as low_price
    from {{ ref('int_price_spine') }}
    group by all
),

funding as (
    select
        asset,
        cast(date_trunc('day', hour_at) as date) as day,
        arg_max(weighted_rate_8h, hour_at) as close_funding_8h,
        avg(weighted_rate_8h) as avg_funding_8h
    from {{ ref('fct_funding_signals') }}
    group by all
),

oi as (
    select
        asset,
        cast(date_trunc('day', hour_at) as date) as day,
        arg_max(total_oi_usd, hour_at) as close_oi_usd,
        arg_max(oi_change_24h, hour_at) as oi_change_24h
    from {{ ref('fct_open_interest_signals') }}
    group by all
),

liquidations as (
    select
        asset,
        cast(date_trunc('day', hour_at) as date) as day,
        sum(long_usd) as liquidated_long_usd,
        sum(short_usd) as liquidated_short_usd
    from {{ ref('fct_liquidation_summary') }}
    group by all
),

last_option_snapshots as (
    -- The day's last snapshot of each venue's option summary.
    select *, cast(date_trunc('day', observed_at) as date) as day
    from {{ ref('fct_option_summary') }}
    qualify row_number() over (
        partition by exchange, asset, cast(date_trunc('day', observed_at) as date) order by observed_at desc
    ) = 1
),

options as (
    -- PCR, max pain and ATM IV from the venue with the most option OI that day (Deribit in practice).
    select
        asset,
        day,
        arg_max(pcr_oi, total_oi_usd) as pcr_oi,
        arg_max(pcr_volume, total_oi_usd) as pcr_volume,
        arg_max(nearest_max_pain_strike, total_oi_usd) as nearest_max_pain_strike,
        arg_max(nearest_expiry_at, total_oi_usd) as nearest_expiry_at,
        arg_max(atm_iv_30d, total_oi_usd) as atm_iv_30d,
        arg_max(iv_rank, total_oi_usd) as iv_rank
    from last_option_snapshots
    group by asset, day
),

basis as (
    -- The best annualised dated-futures basis at the day's last snapshot. A contract hours from expiry
    -- annualises a tiny basis over a tiny time: not a carry anyone can trade, hence days_to_expiry >= 1.
    select asset, day, max(basis_apr) as best_basis_apr
    from (
        select asset, cast(date_trunc('day', observed_at) as date) as day, basis_apr
        from {{ ref('fct_basis') }}
        where contract_type = 'future' and days_to_expiry >= 1
        qualify observed_at = max(observed_at) over (partition by asset, cast(date_trunc('day', observed_at) as date))
    )
    group by asset, day
),

scenario as (
    select
        asset,
        cast(date_trunc('day', hour_at) as date) as day,
        arg_max(active_scenario, hour_at) as close_scenario_id
    from {{ ref('fct_market_state') }}
    group by all
),

alerts as (
    select
        asset,
        cast(date_trunc('day', fired_at) as date) as day,
        count(*) as alerts_fired,
        string_agg(alert_type, ', ' order by fired_at) as alert_types
    from {{ ref('fct_alerts') }}
    group by all
)

select
    d.asset,
    d.day,
    d.close_hour,
    d.close_price,
    d.high_price,
    d.low_price,
    f.close_funding_8h,
    f.avg_funding_8h,
    -- A per-8-hour rate: x 3 x 365 is right here (SPEC section 3).
    f.close_funding_8h * 3 * 365 as close_funding_apr,
    o.close_oi_usd,
    o.oi_change_24h,
    coalesce(l.liquidated_long_usd, 0) as liquidated_long_usd,
    coalesce(l.liquidated_short_usd, 0) as liquidated_short_usd,
    op.pcr_oi,
    op.pcr_volume,
    op.nearest_expiry_at,
    op.nearest_max_pain_strike,
    op.atm_iv_30d,
    op.iv_rank,
    b.best_basis_apr,
    s.close_scenario_id as active_scenario_id,
    {{ scenario_name('s.close_scenario_id') }} as active_scenario,
    cast(coalesce(a.alerts_fired, 0) as integer) as alerts_fired,
    a.alert_types
from days as d
left join funding as f using (asset, day)
left join oi as o using (asset, day)
left join liquidations as l using (asset, day)
left join options as op using (asset, day)
left join basis as b using (asset, day)
left join scenario as s using (asset, day)
left join alerts as a using (asset, day)
