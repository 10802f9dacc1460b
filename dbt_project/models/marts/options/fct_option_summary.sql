-- The options picture per chain snapshot, one row per (exchange, asset, observed_at): put/call ratios over all
-- expiries, the 30-day ATM IV, Deribit's DVOL, the IV rank and percentile, and the nearest expiry's max pain.
--
-- atm_iv_30d interpolates in total variance (IV^2 x days) between the two expiries bracketing 30 days, the way
-- volatility indices build a constant-maturity point; it is null when no expiry lies on one side of 30 days.
-- IV rank = (current - min) / (max - min) and IV percentile = share of the look-back's observations below the
-- current value, over the observations in (t - iv_rank_lookback_days, t], the current one included. They are
-- computed on the venue's DVOL when it publishes one (daily history, so the rank is meaningful from day one)
-- and otherwise on this model's own atm_iv_30d history; iv_rank_basis says which.
-- Incremental on the partition window: the look-back is read from the rows this model already holds (its own
-- atm_iv_30d history) and from int_volatility_index, so an hourly run does not recompute a year of chains.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['exchange', 'asset', 'observed_at'],
        on_schema_change='fail',
        pre_hook=[
            "{{ delete_window_rows('observed_at') }}",
        ],
    )
}}

{# In hours, not days: day intervals on a timestamptz follow the session's calendar (23 or 25 h across DST). #}
{% set lookback = "to_hours(cast(24 * " ~ var('iv_rank_lookback_days') ~ " as integer))" %}
{% set dvol_max_age = "to_hours(cast(" ~ options_dvol_max_age_hours() ~ " as integer))" %}

with expiries as (
    select *
    from {{ ref('fct_option_expiries') }}
    {% if is_incremental() %}
    where {{ in_window('observed_at') }}
    {% endif %}
),

overall as (
    select
        exchange,
        asset,
        observed_at,
        cast(count(*) as integer) as expiry_count,
        sum(call_oi_coin) as call_oi_coin,
        sum(put_oi_coin) as put_oi_coin,
        sum(call_oi_usd) + sum(put_oi_usd) as total_oi_usd,
        sum(call_volume_coin) as call_volume_coin,
        sum(put_volume_coin) as put_volume_coin,
        min(expiry_at) filter (where expiry_at > observed_at) as nearest_expiry_at,
        max(data_mode) as data_mode
    from expiries
    group by exchange, asset, observed_at
),

brackets as (
    -- The expiries just inside and just beyond 30 days that have an ATM IV.
    select
        exchange,
        asset,
        observed_at,
        max(days_to_expiry) filter (where days_to_expiry > 0 and days_to_expiry <= 30) as near_days,
        arg_max(atm_iv, days_to_expiry) filter (where days_to_expiry > 0 and days_to_expiry <= 30) as near_iv,
        min(days_to_expiry) filter (where days_to_expiry >= 30) as far_days,
        arg_min(atm_iv, days_to_expiry) filter (where days_to_expiry >= 30) as far_iv
    from expiries
    where atm_iv is not null
    group by exchange, asset, observed_at
),

atm_30d as (
    select
        exchange,
        asset,
        observed_at,
        case
            when near_days is null or far_days is null then null
            when far_days = near_days then near_iv
            else sqrt(
                (
                    near_iv * near_iv * near_days
                    + (far_iv * far_iv * far_days - near_iv * near_iv * near_days)
                    * (30 - near_days) / (far_days - near_days)
                ) / 30
            )
        end as atm_iv_30d
    from brackets
),

snapshots as (
    select
        o.*,
        a.atm_iv_30d,
        e.max_pain_strike as nearest_max_pain_strike
    from overall as o
    left join atm_30d as a
        on a.exchange = o.exchange and a.asset = o.asset and a.observed_at = o.observed_at
    left join expiries as e
        on e.exchange = o.exchange and e.asset = o.asset and e.observed_at = o.observed_at
        and e.expiry_at = o.nearest_expiry_at
),

atm_history as (
    select exchange, asset, observed_at, atm_iv_30d
    from snapshots
    where atm_iv_30d is not null
    {% if is_incremental() %}
    union all
    select exchange, asset, observed_at, atm_iv_30d
    from {{ this }}
    where atm_iv_30d is not null
      and observed_at >= {{ options_lookback_start(lookback) }}
      and observed_at < cast('{{ var("window_start") }}' as timestamptz)
    {% endif %}
),

atm_rank as (
    select
        s.exchange,
        s.asset,
        s.observed_at,
        min(h.atm_iv_30d) as low,
        max(h.atm_iv_30d) as high,
        count(*) as observations,
        count(*) filter (where h.atm_iv_30d < s.atm_iv_30d) as below
    from snapshots as s
    inner join atm_history as h
        on h.exchange = s.exchange
        and h.asset = s.asset
        and h.observed_at > s.observed_at - {{ lookback }}
        and h.observed_at <= s.observed_at
    where s.atm_iv_30d is not null
    group by s.exchange, s.asset, s.observed_at
),

dvol as (
    select exchange, asset, observed_at, dvol
    from {{ ref('int_volatility_index') }}
    where dvol is not null
    {% if is_incremental() %}
      and observed_at >= {{ options_lookback_start('(' ~ lookback ~ ' + ' ~ dvol_max_age ~ ')') }}
    {% endif %}
),

dvol_now as (
    -- The latest DVOL point at or before the snapshot, if it is recent enough to stand for "now".
    select s.exchange, s.asset, s.observed_at, d.observed_at as dvol_observed_at, d.dvol
    from snapshots as s
    asof inner join dvol as d
        on d.exchange = s.exchange
        and d.asset = s.asset
        and s.observed_at >= d.observed_at
    where d.observed_at > s.observed_at - {{ dvol_max_age }}
),

dvol_rank as (
    select
        n.exchange,
        n.asset,
        n.observed_at,
        min(h.dvol) as low,
        max(h.dvol) as high,
        count(*) as observations,
        count(*) filter (where h.dvol < n.dvol) as below
    from dvol_now as n
    inner join dvol as h
        on h.exchange = n.exchange
        and h.asset = n.asset
        and h.observed_at > n.dvol_observed_at - {{ lookback }}
        and h.observed_at <= n.dvol_observed_at
    group by n.exchange, n.asset, n.observed_at
),

ranked as (
    select
        s.*,
        dn.dvol,
        dn.dvol_observed_at,
        case when dn.dvol is not null then 'dvol' when s.atm_iv_30d is not null then 'atm_iv_30d' end
            as iv_rank_basis,
        case when dn.dvol is not null then dn.dvol else s.atm_iv_30d end as ranked_iv,
        case when dn.dvol is not null then dr.low else ar.low end as rank_low,
        case when dn.dvol is not null then dr.high else ar.high end as rank_high,
        case when dn.dvol is not null then dr.observations else ar.observations end as rank_observations,
        case when dn.dvol is not null then dr.below else ar.below end as rank_below
    from snapshots as s
    left join dvol_now as dn
        on dn.exchange = s.exchange and dn.asset = s.asset and dn.observed_at = s.observed_at
    left join dvol_rank as dr
        on dr.exchange = s.exchange and dr.asset = s.asset and dr.observed_at = s.observed_at
    left join atm_rank as ar
        on ar.exchange = s.exchange and ar.asset = s.asset and ar.observed_at = s.observed_at
)

select
    exchange,
    asset,
    observed_at,
    expiry_count,
    call_oi_coin,
    put_oi_coin,
    put_oi_coin / nullif(call_oi_coin, 0) as pcr_oi,
    total_oi_usd,
    call_volume_coin,
    put_volume_coin,
    put_volume_coin / nullif(call_volume_coin, 0) as pcr_volume,
    atm_iv_30d,
    dvol,
    dvol_observed_at,
    iv_rank_basis,
    ranked_iv,
    -- A flat look-back (max = min) has no range to rank in.
    (ranked_iv - rank_low) / nullif(rank_high - rank_low, 0) as iv_rank,
    cast(rank_below as double) / rank_observations as iv_percentile,
    cast(coalesce(rank_observations, 0) as integer) as iv_rank_observations,
    nearest_expiry_at,
    nearest_max_pain_strike,
    data_mode
from ranked
