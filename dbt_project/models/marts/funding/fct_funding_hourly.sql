-- Funding in force per venue and hour, one row per (asset, exchange, hour_at) for the venue's primary
-- perpetual: the hourly series the cross-venue signals (fct_funding_signals) are computed on, with venues of
-- 1 h, 4 h and 8 h intervals on one per-8 h scale.
-- The rate of hour [hour_at, hour_at + 1 h) is the latest settled rate at or before the hour's end (known by
-- then, so no look-ahead), while it is at most two intervals old (one missed settlement is bridged, a venue
-- that stopped settling is not carried on); without one, the open-period rate of our snapshot taken in that
-- hour (rate_source says which). oi_usd is the same contract's open interest at the hour's end (latest
-- observation before it, at most 24 h old), the weight of the cross-venue average.
-- Incremental: a run rewrites the hours of its window and reads one day before it for the settlement in
-- force at the window's start.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['asset', 'exchange', 'hour_at'],
        on_schema_change='fail',
        pre_hook=[
            "{{ delete_window_rows('hour_at') }}",
        ],
    )
}}

with settlements as (
    select exchange, asset, instrument, funding_at, funding_rate, funding_interval_hours, data_mode
    from {{ ref('fct_funding_rates') }}
    where is_primary
    {% if is_incremental() %}
      and funding_at >= {{ window_start_minus('1 day') }}
      and funding_at <= cast('{{ var("window_end") }}' as timestamptz)
    {% endif %}
),

snapshots as (
    select exchange, asset, instrument, observed_at, funding_rate, funding_interval_hours, data_mode
    from {{ ref('int_funding_snapshots') }}
    where is_primary and funding_rate is not null and funding_interval_hours > 0
    {% if is_incremental() %}
      and {{ in_window_of_view('observed_at') }}
    {% endif %}
),

open_interest as (
    select exchange, instrument, observed_at, oi_usd
    from {{ ref('int_open_interest') }}
    where is_primary and oi_usd is not null
    {% if is_incremental() %}
      and {{ in_range_of_view('observed_at', window_start_minus('1 day'), "cast('" ~ var('window_end') ~ "' as timestamptz)") }}
    {% endif %}
    qualify row_number() over (partition by exchange, instrument, observed_at order by (oi_source = 'history') desc) = 1
),

-- Every hour from the contract's first to its last funding data point.
bounds as (
    select exchange, asset, instrument, min(hour_at) as first_hour, max(hour_at) as last_hour
    from (
        select exchange, asset, instrument, date_trunc('hour', funding_at) as hour_at from settlements
        union all
        select exchange, asset, instrument, date_trunc('hour', observed_at) as hour_at from snapshots
    )
    group by exchange, asset, instrument
),

spine as (
    select
        exchange,
        asset,
        instrument,
        unnest(generate_series(first_hour, last_hour, interval 1 hour)) as hour_at
    from bounds
),

hours as (
    select *, hour_at + interval 1 hour as hour_end
    from spine
),

with_settled as (
    select
        h.*,
        s.funding_at as settled_at,
        s.funding_rate as settled_rate,
        s.funding_interval_hours as settled_interval_hours,
        s.data_mode as settled_data_mode
    from hours as h
    asof left join settlements as s
        on s.exchange = h.exchange and s.instrument = h.instrument and s.funding_at <= h.hour_end
),

with_snapshot as (
    select
        w.*,
        n.observed_at as snapshot_at,
        n.funding_rate as snapshot_rate,
        n.funding_interval_hours as snapshot_interval_hours,
        n.data_mode as snapshot_data_mode
    from with_settled as w
    asof left join snapshots as n
        on n.exchange = w.exchange and n.instrument = w.instrument and n.observed_at < w.hour_end
),

with_oi as (
    select
        w.*,
        oi.observed_at as oi_observed_at,
        oi.oi_usd as oi_usd_raw
    from with_snapshot as w
    asof left join open_interest as oi
        on oi.exchange = w.exchange and oi.instrument = w.instrument and oi.observed_at < w.hour_end
),

chosen as (
    select
        *,
        case
            when settled_at is not null
                and hour_end - settled_at <= to_hours(cast(2 * settled_interval_hours as bigint))
                then 'settled'
            when snapshot_at >= hour_at then 'snapshot'
        end as rate_source
    from with_oi
),

rated as (
    select
        asset,
        exchange,
        hour_at,
        instrument,
        rate_source,
        case rate_source when 'settled' then settled_at else snapshot_at end as rate_at,
        case rate_source when 'settled' then settled_rate else snapshot_rate end as funding_rate,
        cast(case rate_source when 'settled' then settled_interval_hours else snapshot_interval_hours end as double)
            as funding_interval_hours,
        case when hour_end - oi_observed_at <= interval 24 hour then oi_usd_raw end as oi_usd,
        case when hour_end - oi_observed_at <= interval 24 hour then oi_observed_at end as oi_observed_at,
        case rate_source when 'settled' then settled_data_mode else snapshot_data_mode end as data_mode
    from chosen
    where rate_source is not null
    {% if is_incremental() %}
      and {{ in_window('hour_at') }}
    {% endif %}
)

select
    asset,
    exchange,
    hour_at,
    instrument,
    rate_source,
    rate_at,
    funding_rate,
    funding_interval_hours,
    {{ funding_rate_8h('funding_rate', 'funding_interval_hours') }} as funding_rate_8h,
    {{ funding_apr('funding_rate', 'funding_interval_hours') }} as funding_apr,
    oi_usd,
    oi_observed_at,
    data_mode
from rated
-- A venue listing two primary contracts for one asset would break the grain: keep the most recent rate.
qualify row_number() over (partition by asset, exchange, hour_at order by rate_at desc, instrument) = 1
