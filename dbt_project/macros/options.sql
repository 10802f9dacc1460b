{# Options and basis marts (models/marts/options, models/marts/basis). #}

{# Fractional days from one instant to another (days to expiry); negative once the later instant has passed. #}
{% macro options_days_between(start_at, end_at) -%}
    (epoch({{ end_at }}) - epoch({{ start_at }})) / 86400.0
{%- endmacro %}

{# How old the latest DVOL point may be and still count as "now" for a chain snapshot. DVOL history arrives
   in daily partitions while chains are hourly snapshots, so the newest point can lag by a day; older than
   this and the IV rank falls back to the venue's own 30-day ATM IV (dbt var dvol_max_age_hours). #}
{% macro options_dvol_max_age_hours() -%}
    {{ var('dvol_max_age_hours') }}
{%- endmacro %}

{# The lower bound of the input a rolling look-back needs: `lookback` before the partition window starts. #}
{% macro options_lookback_start(lookback) -%}
    (cast('{{ var("window_start") }}' as timestamptz) - {{ lookback }})
{%- endmacro %}

{# value >= threshold after rounding to 12 decimals: ratios computed in floating point land a hair off the
   decimal value (102 / 100 - 1 = 0.020000000000000018), and a yield of exactly the threshold must qualify. #}
{% macro options_at_least(value, threshold) -%}
    (round({{ value }}, 12) >= {{ threshold }})
{%- endmacro %}

{# Pre-hook of the incremental marts: empty the partition window before delete+insert refills it. The
   unique_key delete only removes rows whose key comes back, but a re-fetched partition can stamp the same
   snapshot with a new time (observed_at is the fetch time on Deribit), which would leave the old copy
   behind. Emptying the window first makes a re-run replace the window whatever its keys. #}
{% macro options_delete_window(column) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where {{ in_window(column) }}
    {%- endif -%}
{%- endmacro %}
