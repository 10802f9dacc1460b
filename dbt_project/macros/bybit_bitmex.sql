{# Symbol -> asset for Bybit and BitMEX staging (SPEC section 3: the asset is what users type). #}

{# Bybit: BTCUSDT, BTCPERP (USDC), BTCUSD (inverse), BTCUSDH26 (inverse quarterly) -> BTC; dashed names
   (BTC-27DEC24-100000-C, BTC-26DEC25) -> the part before the first dash; multiples of small coins are
   stripped (1000PEPEUSDT, SHIB1000USDT -> PEPE, SHIB). #}
{% macro bybit_asset(symbol) -%}
    regexp_replace(regexp_replace(
        case
            when {{ symbol }} like '%-%' then split_part({{ symbol }}, '-', 1)
            else regexp_replace({{ symbol }}, '(USDT|USDC|PERP|USD)([FGHJKMNQUVXZ][0-9]{2})?$', '')
        end,
        '^10+([A-Z])', '\1'), '([A-Z])10+$', '\1')
{%- endmacro %}

{# How many coins one unit of a Bybit linear symbol is: 1000 for 1000PEPEUSDT, else 1. #}
{% macro bybit_coin_multiplier(symbol) -%}
    coalesce(
        try_cast(nullif(regexp_extract({{ symbol }}, '^(10+)[A-Z]', 1), '') as double),
        try_cast(nullif(regexp_extract(regexp_replace({{ symbol }}, '(USDT|USDC|PERP)$', ''), '[A-Z](10+)$', 1), '') as double),
        1.0
    )
{%- endmacro %}

{# Bybit dated futures: inverse quarterlies (BTCUSDH26) and USDC-settled linear futures (BTC-26DEC25). #}
{% macro bybit_is_dated_future(symbol) -%}
    (regexp_matches({{ symbol }}, '^[A-Z0-9]+USD[FGHJKMNQUVXZ][0-9]{2}$')
     or regexp_matches({{ symbol }}, '^[A-Z0-9]+-[0-9]{1,2}[A-Z]{3}[0-9]{2}$'))
{%- endmacro %}

{# BitMEX: XBTUSD, XBTUSDT, XBTH27, ETHUSDZ25 -> BTC, ETH (XBT is BitMEX's name for bitcoin). #}
{% macro bitmex_asset(symbol) -%}
    regexp_replace(
        regexp_replace({{ symbol }}, '(USDT|USDC|USD|EUR)?([FGHJKMNQUVXZ][0-9]{2})?$', ''),
        '^XBT$', 'BTC')
{%- endmacro %}
