{# Binance symbol conventions, shared by the Binance staging models (dbt_project/models/staging/binance/). #}

{# The asset users type, from any Binance futures or spot symbol: BTCUSDT, BTCUSDC, BTCUSDT_261225 (USD-M),
   BTCUSD_PERP, BTCUSD_261225 (COIN-M), 1000PEPEUSDT (a 1000-multiplied base: PEPE). #}
{% macro binance_asset(symbol) -%}
    regexp_replace(
        regexp_replace(regexp_replace({{ symbol }}, '_[0-9A-Z]+$', ''), '(USDT|USDC|USD)$', ''),
        '^1000+', ''
    )
{%- endmacro %}

{# Coins of the asset in one unit of a USD-M quantity: 1000 for 1000PEPEUSDT (its prices are per 1000 PEPE). #}
{% macro binance_coins_per_unit(symbol) -%}
    coalesce(try_cast(regexp_extract({{ symbol }}, '^(1000+)[A-Z]', 1) as double), 1.0)
{%- endmacro %}

{# Dated contracts carry their delivery day in the symbol (BTCUSDT_261225, BTCUSD_261225); Binance delivers
   at 08:00 UTC. Used when the instrument list has no deliveryDate for the symbol. #}
{% macro binance_expiry_from_symbol(symbol) -%}
    case
        when regexp_matches({{ symbol }}, '_[0-9]{6}$')
            then cast(strptime(right({{ symbol }}, 6) || ' 08:00:00+00', '%y%m%d %H:%M:%S%z') as timestamptz)
    end
{%- endmacro %}

{# Binance sends ms epochs as numbers and, in some documented answers, as strings: parse both. #}
{% macro binance_ms_to_ts(ms) -%}
    make_timestamptz(try_cast({{ ms }} as bigint) * 1000)
{%- endmacro %}
