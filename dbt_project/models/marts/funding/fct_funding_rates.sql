-- Settled funding history, one row per (exchange, instrument, funding_at). History-sized, so it is
-- incremental on the partition window Dagster passes: an hourly run rewrites only its window.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['exchange', 'instrument', 'funding_at'],
        on_schema_change='fail',
    )
}}

select
    exchange,
    asset,
    instrument,
    funding_at,
    funding_rate,
    funding_interval_hours,
    funding_rate_8h,
    funding_apr,
    mark_price,
    data_mode
from {{ ref('stg_binance__funding_rates') }}
where instrument like '%USDT'
{% if is_incremental() %}
  and {{ in_window('funding_at') }}
{% endif %}
