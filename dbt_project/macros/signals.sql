{# Signal helpers shared by the funding and open-interest marts (SPEC section 4). Thresholds are dbt vars
   declared in dbt_project.yml; these macros only say how a value is compared with them. #}

{# Threshold comparisons. Ratios and shares computed in floating point land a hair off the decimal value
   (0.5 - 0.42 = 0.08000000000000002, 110 / 100 - 1 = 0.10000000000000009, 0.58 - 0.5 = 0.07999999999999996),
   so the value is rounded to 12 decimals first: a move of exactly 10 % or 8 points counts as reaching a
   10 % or 8-point threshold whichever way the arithmetic rounded. #}
{% macro at_least(value, threshold) -%}
    (round({{ value }}, 12) >= {{ threshold }})
{%- endmacro %}

{% macro above(value, threshold) -%}
    (round({{ value }}, 12) > {{ threshold }})
{%- endmacro %}

{% macro below(value, threshold) -%}
    (round({{ value }}, 12) < {{ threshold }})
{%- endmacro %}

{# Funding level of a per-8 h rate with its sign (SPEC: neutral |r| < 0.01 %; positive/negative 0.01 to 0.05 %;
   high 0.05 to 0.10 %; extreme from 0.10 %). Each band includes its lower bound: exactly 0.0005 is high,
   exactly 0.0010 extreme (the fade signal also counts |r| >= 0.05 % as high). #}
{% macro funding_level(rate) -%}
    case
        when {{ rate }} is null then null
        when {{ below('abs(' ~ rate ~ ')', var('funding_neutral_8h')) }} then 'neutral'
        when {{ below('abs(' ~ rate ~ ')', var('funding_high_8h')) }}
            then case when {{ rate }} > 0 then 'positive' else 'negative' end
        when {{ below('abs(' ~ rate ~ ')', var('funding_extreme_8h')) }}
            then case when {{ rate }} > 0 then 'high_positive' else 'high_negative' end
        else case when {{ rate }} > 0 then 'extreme_positive' else 'extreme_negative' end
    end
{%- endmacro %}

{# The same bands without the sign, as the `funding` command has always shown them (the sentiment carries
   the sign there). #}
{% macro funding_level_unsigned(rate) -%}
    case
        when {{ rate }} is null then null
        when {{ below('abs(' ~ rate ~ ')', var('funding_neutral_8h')) }} then 'neutral'
        when {{ below('abs(' ~ rate ~ ')', var('funding_high_8h')) }}
            then case when {{ rate }} > 0 then 'positive' else 'negative' end
        when {{ below('abs(' ~ rate ~ ')', var('funding_extreme_8h')) }} then 'high'
        else 'extreme'
    end
{%- endmacro %}

{# Sentiment words of the skill card ("Moderately Bullish"), one per level band and sign. #}
{% macro funding_sentiment(rate) -%}
    case
        when {{ rate }} is null then null
        when {{ below('abs(' ~ rate ~ ')', var('funding_neutral_8h')) }} then 'Neutral'
        when {{ below('abs(' ~ rate ~ ')', var('funding_high_8h')) }}
            then case when {{ rate }} > 0 then 'Moderately Bullish' else 'Moderately Bearish' end
        when {{ below('abs(' ~ rate ~ ')', var('funding_extreme_8h')) }}
            then case when {{ rate }} > 0 then 'Strongly Bullish' else 'Strongly Bearish' end
        else case when {{ rate }} > 0 then 'Extremely Bullish (contrarian short risk)'
                  else 'Extremely Bearish (contrarian long risk)' end
    end
{%- endmacro %}

{# Whole hours since the epoch: hour arithmetic for "the same hour 8 h / 24 h earlier" and for streaks. #}
{% macro epoch_hours(ts) -%}
    cast(floor(epoch({{ ts }}) / 3600) as bigint)
{%- endmacro %}

{# Look-back start of an incremental run: the window start minus the history a rolling signal needs. #}
{% macro window_start_minus(look_back) -%}
    (cast('{{ var("window_start") }}' as timestamptz) - interval '{{ look_back }}')
{%- endmacro %}

{# Open interest per instrument and hour from int_open_interest: the venue's own history row when there is
   one, else the last snapshot taken in that hour. USD comes from staging; where a venue gave only coin it is
   valued at the hour's cross-venue close (int_price_spine). `since` / `until` bound the read for incremental runs
   (the upper bound written as in in_range_of_view below). #}
{% macro oi_instrument_hours(since=none, until=none) -%}
    select
        o.exchange,
        o.asset,
        o.instrument,
        o.is_primary,
        date_trunc('hour', o.observed_at) as hour_at,
        o.observed_at,
        o.oi_coin,
        coalesce(o.oi_usd, o.oi_coin * p.close) as oi_usd,
        o.oi_source,
        o.data_mode
    from {{ ref('int_open_interest') }} as o
    left join {{ ref('int_price_spine') }} as p
        on p.asset = o.asset and p.hour_at = date_trunc('hour', o.observed_at)
    where coalesce(o.oi_usd, o.oi_coin * p.close) is not null
    {% if since is not none %}and o.observed_at >= {{ since }}{% endif %}
    {% if until is not none %}and ({{ until }}) - o.observed_at > interval 0 second{% endif %}
    qualify row_number() over (
        partition by o.exchange, o.instrument, date_trunc('hour', o.observed_at)
        order by (o.oi_source = 'history') desc, o.observed_at desc
    ) = 1
{%- endmacro %}

{# Changes, shares and ratios are stored rounded to 12 decimals: the digits beyond are floating-point noise
   (105 / 100 - 1 = 0.05000000000000004), and the rounded value is the one compared with thresholds. #}
{% macro round_fraction(value) -%}
    round({{ value }}, 12)
{%- endmacro %}

{# Half-open [start, end) on a column of an int_* view. DuckDB 1.5.6 fails with "INTERNAL Error: Failed to cast
   expression to type" when a two-sided range on a timestamp is pushed below a staging model's dedup window whose
   key is coalesce(<venue time>, fetched_at) (every int_* union holds such a model). profiles.yml disables the
   optimizer at fault (top_n_window_elimination); writing the upper bound as a difference also keeps it from
   being folded into that range where the setting is absent. Same rows as `column >= start and column < end`. #}
{% macro in_range_of_view(column, start, end) -%}
    ({{ column }} >= {{ start }} and ({{ end }}) - {{ column }} > interval 0 second)
{%- endmacro %}

{% macro in_window_of_view(column) -%}
    {{ in_range_of_view(column, "cast('" ~ var('window_start') ~ "' as timestamptz)",
                        "cast('" ~ var('window_end') ~ "' as timestamptz)") }}
{%- endmacro %}
