{# Funding normalisation (SPEC section 3): rates are per interval; compare them per 8 h or per year.
   Never 3 x 365 unless the interval really is 8 hours. #}
{% macro funding_rate_8h(rate, interval_hours) -%}
    ({{ rate }} * 8.0 / {{ interval_hours }})
{%- endmacro %}

{% macro funding_apr(rate, interval_hours) -%}
    ({{ rate }} * 8760.0 / {{ interval_hours }})
{%- endmacro %}

{# Binance USD-M symbols: BTCUSDT -> BTC, 1000PEPEUSDT -> PEPE (the multiplier is in the name). #}
{% macro binance_usdm_asset(symbol) -%}
    regexp_replace(regexp_replace({{ symbol }}, '(USDT|USDC)$', ''), '^1000+', '')
{%- endmacro %}

{% macro epoch_ms_to_ts(ms) -%}
    make_timestamptz(cast({{ ms }} as bigint) * 1000)
{%- endmacro %}

{% macro in_window(column) -%}
    ({{ column }} >= cast('{{ var("window_start") }}' as timestamptz)
     and {{ column }} < cast('{{ var("window_end") }}' as timestamptz))
{%- endmacro %}

{# The interval a settlement covers, from the gaps to its neighbours in the same series (columns
   hours_since_previous and hours_to_next, see settlement_gaps): the gap since the previous settlement when it is
   a valid interval, else the gap to the next (the first of a series), else `fallback`. #}
{% macro settlement_gaps(at, series) -%}
    -- Rounded: settlement stamps can carry a few ms of jitter (Binance's do).
    round(epoch({{ at }} - lag({{ at }}) over (partition by {{ series }} order by {{ at }})) / 3600.0)
        as hours_since_previous,
    round(epoch(lead({{ at }}) over (partition by {{ series }} order by {{ at }}) - {{ at }}) / 3600.0)
        as hours_to_next
{%- endmacro %}

{% macro interval_from_settlement_gaps(fallback) -%}
    case
        when hours_since_previous in (1, 2, 4, 8) then hours_since_previous
        when hours_to_next in (1, 2, 4, 8) then hours_to_next
        else {{ fallback }}
    end
{%- endmacro %}
