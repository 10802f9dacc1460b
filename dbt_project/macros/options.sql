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
