-- Settled funding history of every venue's perpetuals, one row per (exchange, instrument, funding_at).
-- Continuous-funding venues (Deribit, GMX) appear as hourly samples with interval 1, dYdX and Drift settle
-- hourly, the CEXs every 1, 4 or 8 h. The per-8 h rate and the APR are recomputed here from the raw
-- per-interval rate and its interval, so every venue is annualised by one formula (never 3 x 365 unless
-- the interval is 8 h). History-sized, so incremental on the partition window Dagster passes: an hourly
-- run rewrites only its window.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['exchange', 'instrument', 'funding_at'],
        on_schema_change='fail',
        pre_hook=[
            "{{ delete_window_rows('funding_at') }}",
        ],
    )
}}

with settlements as (
    select *
    from {{ ref('int_funding_settlements') }}
    where funding_rate is not null
      and funding_interval_hours > 0
    {% if is_incremental() %}
      and {{ in_window_of_view('funding_at') }}
    {% endif %}
),

-- A venue's history pages can overlap; one row per settlement whatever the staging dedup did.
deduplicated as (
    select *
    from settlements
    qualify row_number() over (partition by exchange, instrument, funding_at order by data_mode, funding_rate) = 1
)

select
    exchange,
    asset,
    instrument,
    coalesce(is_primary, false) as is_primary,
    funding_at,
    funding_rate,
    cast(funding_interval_hours as double) as funding_interval_hours,
    {{ funding_rate_8h('funding_rate', 'funding_interval_hours') }} as funding_rate_8h,
    {{ funding_apr('funding_rate', 'funding_interval_hours') }} as funding_apr,
    data_mode
from deduplicated
