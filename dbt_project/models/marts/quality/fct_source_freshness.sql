-- How fresh each raw source is, one row per (exchange, dataset): its cadence, its last load that passed the
-- blocking raw check, its newest response and the lag its schedule allows. Nothing depends on the time of
-- reading (no current_timestamp): a reader compares last_fetched_at with the data's own as-of, e.g. the newest
-- last_fetched_at of all sources, so the same published file gives the same verdict on any day.
{%- set sources = [] %}
{%- for cadence, venues in raw_source_cadences().items() %}
    {%- for venue, datasets in venues.items() %}
        {%- for dataset in datasets %}
            {%- do sources.append((venue, dataset, cadence)) %}
        {%- endfor %}
    {%- endfor %}
{%- endfor %}
{%- set allowed_lag_hours = {
    'hourly_snapshot': var('freshness_lag_hours_hourly_snapshot'),
    'daily_history': var('freshness_lag_hours_daily_history'),
    'hourly_stream': var('freshness_lag_hours_hourly_stream'),
} %}

with fetched as (
{%- for venue, dataset, cadence in sources %}
    select
        '{{ venue }}' as exchange,
        '{{ dataset }}' as dataset,
        'raw.{{ venue }}__{{ dataset }}' as raw_table,
        '{{ cadence }}' as cadence,
        cast({{ allowed_lag_hours[cadence] }} as double) as allowed_lag_hours,
        max(fetched_at) as last_fetched_at
    from {{ source(venue, dataset) }}
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
),

-- The manifest row of every partition load; check_passed is the blocking raw check's verdict.
loads as (
    select raw_table, partition_key, loaded_at, check_passed
    from {{ source('raw_bookkeeping', 'load_manifest') }}
),

last_checked_load as (
    select raw_table, loaded_at as last_loaded_at, partition_key as last_loaded_partition_key
    from loads
    where check_passed
    qualify row_number() over (partition by raw_table order by loaded_at desc, partition_key desc) = 1
),

-- The newest load whatever its verdict: a source whose loads keep failing the check shows here.
latest_load as (
    select raw_table, loaded_at as latest_load_at, check_passed as latest_load_check_passed
    from loads
    qualify row_number() over (partition by raw_table order by loaded_at desc, partition_key desc) = 1
)

select
    f.exchange,
    f.dataset,
    f.raw_table,
    f.cadence,
    c.last_loaded_at,
    c.last_loaded_partition_key,
    l.latest_load_at,
    l.latest_load_check_passed,
    f.last_fetched_at,
    f.allowed_lag_hours
from fetched as f
left join last_checked_load as c using (raw_table)
left join latest_load as l using (raw_table)
