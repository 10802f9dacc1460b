-- Open interest per venue and hour, one row per (asset, exchange, hour_at) where the venue reported OI.
-- A venue's OI is the sum over ALL its contracts of the asset (linear and inverse perpetuals, dated futures):
-- positioning is venue-wide, and a venue's liquidation engine sees all of it. Per contract and hour the venue's
-- own history row is preferred, else the last snapshot of that hour (macro oi_instrument_hours).
-- Changes are like for like: oi_change_24h / _7d compare only the contracts present at both ends, so a
-- contract that starts being observed (our hourly snapshots add contracts with no history endpoint) does not
-- show up as a jump in OI. share_of_asset_oi is the venue's share of the asset's OI over all venues that hour.
-- The long/short ratio is the venue's account ratio ('accounts') where offered, of its primary perpetual.
-- Changes and shares are fractions rounded to 12 decimals (macro round_fraction).
-- Incremental: a run rewrites the hours of its window and reads 7 days before it for the 7-day change.
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

{% if is_incremental() %}
    {% set since = window_start_minus('7 days') %}
    {% set until = "cast('" ~ var('window_end') ~ "' as timestamptz)" %}
{% else %}
    {% set since = none %}
    {% set until = none %}
{% endif %}

with instruments as (
    {{ oi_instrument_hours(since=since, until=until) }}
),

with_history as (
    select
        i.*,
        d1.oi_usd as oi_usd_24h_ago,
        d7.oi_usd as oi_usd_7d_ago
    from instruments as i
    left join instruments as d1
        on d1.exchange = i.exchange and d1.instrument = i.instrument and d1.hour_at = i.hour_at - interval 24 hour
    left join instruments as d7
        on d7.exchange = i.exchange and d7.instrument = i.instrument and d7.hour_at = i.hour_at - interval 7 day
),

venue_hours as (
    select
        asset,
        exchange,
        hour_at,
        cast(count(*) as integer) as instrument_count,
        sum(oi_usd) as oi_usd,
        sum(oi_coin) as oi_coin,
        case
            when bool_and(oi_source = 'history') then 'history'
            when bool_and(oi_source = 'snapshot') then 'snapshot'
            else 'mixed'
        end as oi_source,
        {{ round_fraction('sum(oi_usd) filter (where oi_usd_24h_ago is not null) / sum(oi_usd_24h_ago) - 1') }}
            as oi_change_24h,
        {{ round_fraction('sum(oi_usd) filter (where oi_usd_7d_ago is not null) / sum(oi_usd_7d_ago) - 1') }}
            as oi_change_7d,
        min(data_mode) as data_mode
    from with_history
    group by asset, exchange, hour_at
),

primary_contracts as (
    select distinct exchange, instrument from instruments where is_primary
),

-- The venue's account long/short ratio observed in that hour, its primary perpetual's when it has several.
long_short as (
    select
        r.exchange,
        r.asset,
        date_trunc('hour', r.observed_at) as hour_at,
        r.long_short_ratio,
        r.long_share
    from {{ ref('int_long_short_ratios') }} as r
    left join primary_contracts as p on p.exchange = r.exchange and p.instrument = r.instrument
    where r.ratio_kind = 'accounts'
    {% if is_incremental() %}
      and {{ in_window_of_view('r.observed_at') }}
    {% endif %}
    qualify row_number() over (
        partition by r.exchange, r.asset, date_trunc('hour', r.observed_at)
        order by (p.instrument is not null) desc, r.observed_at desc, r.instrument
    ) = 1
)

select
    v.asset,
    v.exchange,
    v.hour_at,
    v.instrument_count,
    v.oi_usd,
    v.oi_coin,
    {{ round_fraction('v.oi_usd / sum(v.oi_usd) over (partition by v.asset, v.hour_at)') }} as share_of_asset_oi,
    v.oi_change_24h,
    v.oi_change_7d,
    ls.long_short_ratio,
    ls.long_share,
    v.oi_source,
    v.data_mode
from venue_hours as v
left join long_short as ls using (exchange, asset, hour_at)
{% if is_incremental() %}
where {{ in_window('v.hour_at') }}
{% endif %}
