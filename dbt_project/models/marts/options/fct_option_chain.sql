-- The normalised option chain, one row per (exchange, instrument, observed_at): every venue's chain snapshot
-- (Deribit, OKX, Bybit share int_option_chain's columns) with the two numbers every chain view needs,
-- days_to_expiry (fractional, from the snapshot to the 08:00 UTC delivery) and moneyness (strike / underlying,
-- where the underlying is the venue's forward for the expiry when it reports one).
-- History-sized (hourly snapshots of hundreds of strikes), so it is incremental on the partition window.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['exchange', 'instrument', 'observed_at'],
        on_schema_change='fail',
        pre_hook=[
            "{{ delete_window_rows('observed_at') }}",
        ],
    )
}}

with chain as (
    select *
    from {{ ref('int_option_chain') }}
    where instrument is not null and observed_at is not null
    {% if is_incremental() %}
      and {{ in_window('observed_at') }}
    {% endif %}
)

select
    exchange,
    asset,
    instrument,
    observed_at,
    expiry_at,
    strike,
    option_type,
    {{ options_days_between('observed_at', 'expiry_at') }} as days_to_expiry,
    strike / nullif(underlying_price, 0) as moneyness,
    open_interest_coin,
    open_interest_usd,
    volume_coin,
    volume_usd,
    mark_price_usd,
    mark_iv,
    underlying_price,
    delta,
    gamma,
    vega,
    theta,
    data_mode
from chain
