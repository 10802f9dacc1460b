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
