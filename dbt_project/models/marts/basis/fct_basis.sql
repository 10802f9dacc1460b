-- Futures basis, one row per (exchange, instrument, observed_at): every perpetual and dated future quote of
-- int_futures_quotes against a spot reference. basis = mark / spot - 1, which for the perpetual is the
-- spot-perp basis (mark - spot) / spot; dated futures also get days_to_expiry (fractional) and the simple
-- annualised basis_apr = basis x 365 / days_to_expiry (null for perpetuals and expired contracts).
--
-- The spot reference is, in order: the index the venue sent with the quote (same instant, and the price the
-- contract converges to), the venue's own index from int_spot_prices in the same hour, else the cross-venue
-- median of that hour's spot and index prices (one price per venue and kind, so no venue counts twice);
-- spot_source says which. History-sized, incremental on the partition window.
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

with quotes as (
    select
        exchange,
        asset,
        instrument,
        contract_type,
        expiry_at,
        observed_at,
        date_trunc('hour', observed_at) as hour_at,
        mark_price,
        nullif(index_price, 0) as quote_index_price,
        data_mode
    from {{ ref('int_futures_quotes') }}
    where mark_price > 0 and contract_type in ('perpetual', 'future')
    {% if is_incremental() %}
      and {{ in_window('observed_at') }}
    {% endif %}
),

hourly_prices as (
    -- The latest spot or index price per venue, asset, kind and hour.
    select exchange, asset, price_kind, date_trunc('hour', observed_at) as hour_at, price
    from {{ ref('int_spot_prices') }}
    where price > 0 and price_kind in ('spot', 'index')
    {% if is_incremental() %}
      and observed_at >= {{ options_lookback_start("interval 1 hour") }}
    {% endif %}
    qualify row_number() over (
        partition by exchange, asset, price_kind, date_trunc('hour', observed_at) order by observed_at desc
    ) = 1
),

venue_index as (
    select exchange, asset, hour_at, price
    from hourly_prices
    where price_kind = 'index'
),

cross_venue as (
    select asset, hour_at, median(price) as price
    from hourly_prices
    group by asset, hour_at
),

referenced as (
    select
        q.*,
        coalesce(q.quote_index_price, vi.price, cv.price) as spot_price,
        case
            when q.quote_index_price is not null then 'quote_index'
            when vi.price is not null then 'venue_index'
            when cv.price is not null then 'cross_venue_median'
        end as spot_source,
        case when q.contract_type = 'future' then {{ options_days_between('q.observed_at', 'q.expiry_at') }} end
            as days_to_expiry
    from quotes as q
    left join venue_index as vi
        on vi.exchange = q.exchange and vi.asset = q.asset and vi.hour_at = q.hour_at
    left join cross_venue as cv
        on cv.asset = q.asset and cv.hour_at = q.hour_at
)

select
    exchange,
    asset,
    instrument,
    contract_type,
    expiry_at,
    observed_at,
    mark_price,
    spot_price,
    spot_source,
    mark_price / spot_price - 1 as basis,
    days_to_expiry,
    case when days_to_expiry > 0 then (mark_price / spot_price - 1) * 365 / days_to_expiry end as basis_apr,
    data_mode
from referenced
