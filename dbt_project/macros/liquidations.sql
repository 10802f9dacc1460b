{# Liquidation marts: window helpers and the defaults of the heatmap's display settings.

   The partition window can start or end inside an hour or a day, but the liquidation marts aggregate
   whole hours and days: a run must rewrite every hour (day) the window touches, in full, or a
   delete+insert would replace a complete aggregate with a partial one. So the window is widened to
   [floor(window_start), window_end) on the aggregate's start time: an hour (day) is rewritten when it
   starts before window_end and does not end before window_start. Truncation goes through epoch seconds
   (hours) or `at time zone 'UTC'` (days) so the session time zone cannot shift the boundaries. #}

{% macro liq_window_start() -%}
    cast('{{ var("window_start") }}' as timestamptz)
{%- endmacro %}

{% macro liq_window_end() -%}
    cast('{{ var("window_end") }}' as timestamptz)
{%- endmacro %}

{% macro liq_floor_hour(ts) -%}
    to_timestamp(floor(epoch({{ ts }}) / 3600) * 3600)
{%- endmacro %}

{% macro liq_utc_date(ts) -%}
    cast(({{ ts }}) at time zone 'UTC' as date)
{%- endmacro %}

{# Rows whose hour (hour_column: the start of an hour) the window touches. #}
{% macro liq_hours_in_window(hour_column) -%}
    {{ liq_hours_since_window(hour_column, 0) }}
{%- endmacro %}

{# Rows whose UTC day (date_column: a date) the window touches. #}
{% macro liq_days_in_window(date_column) -%}
    ({{ date_column }} >= {{ liq_utc_date(liq_window_start()) }}
     and {{ date_column }} <= {{ liq_utc_date(liq_window_end() ~ " - interval 1 microsecond") }})
{%- endmacro %}

{# Rows whose hour the window touches, plus `lookback` hours before them (rolling windows need history). #}
{% macro liq_hours_since_window(hour_column, lookback_hours=0) -%}
    ({{ hour_column }} >= {{ liq_floor_hour(liq_window_start()) }} - interval ({{ lookback_hours }}) hour
     and {{ hour_column }} < {{ liq_window_end() }})
{%- endmacro %}

{# Heatmap display settings (not signal thresholds): the estimated levels are published only within this
   distance of the close (fraction of price) and above this share of their side's open level mass. The
   values are dbt vars in dbt_project.yml. #}
{% macro liq_level_range() -%}
    {{ var('liq_level_range') }}
{%- endmacro %}

{% macro liq_level_floor_share() -%}
    {{ var('liq_level_floor_share') }}
{%- endmacro %}
