{# Deribit instrument names (BTC-27DEC24-100000-C, SOL_USDC-5JUN26-142d5-P, BTC-27DEC24, BTC-PERPETUAL). #}

{# The coin users type: the root before the first dash, without the linear products' _USDC suffix. #}
{% macro deribit_asset(name) -%}
    split_part(split_part({{ name }}, '-', 1), '_', 1)
{%- endmacro %}

{# Expiry code (27DEC24, 5JUN26) -> the 08:00 UTC delivery instant Deribit uses for every expiry. #}
{% macro deribit_expiry(code) -%}
    to_timestamp(epoch(try_strptime({{ code }}, '%d%b%y')) + 8 * 3600)
{%- endmacro %}

{# The parts of an option name as a struct (root, expiry code, strike code, C/P); nulls when not an option. #}
{% macro deribit_option_parts(name) -%}
    regexp_extract({{ name }}, '^([A-Z]+(?:_[A-Z]+)?)-(\d{1,2}[A-Z]{3}\d{2})-(\d+(?:d\d+)?)-([CP])$',
                   ['root', 'expiry_code', 'strike_code', 'cp'])
{%- endmacro %}

{# A strike code (100000, 142d5) as a number: Deribit writes fractional strikes with d for the point. #}
{% macro deribit_strike(code) -%}
    try_cast(replace({{ code }}, 'd', '.') as double)
{%- endmacro %}
