-- One row per hourly open-interest point of a Bybit perpetual (exchange, instrument, observed_at), from
-- /v5/market/open-interest (intervalTime 1h). The unit depends on the category (reference/exchange_api.md
-- section 2): linear in base coin, inverse in USD (1 USD contracts). The answer has no price, so the other
-- unit uses the instrument's own hourly candles: the last price known at the OI stamp (the candle opening
-- then, else the close of the latest earlier candle). Points without any candle at or before them keep
-- only their native unit.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('bybit', 'open_interest_history') }}
    where http_status = 200 and json_valid(payload)
),

parsed as (
    select
        from_json(payload, '{"retCode":"INTEGER","result":{"category":"VARCHAR","symbol":"VARCHAR","list":[{"openInterest":"VARCHAR","timestamp":"VARCHAR"}]}}') as body,
        fetched_at,
        data_mode
    from responses
),

records as (
    select
        unnest(body.result.list) as r,
        body.result.category as category,
        body.result.symbol as instrument,
        fetched_at,
        data_mode
    from parsed
    -- Errors keep HTTP 200 on Bybit: the failure is in retCode.
    where body.retCode = 0
),

typed as (
    select
        instrument,
        category,
        {{ epoch_ms_to_ts('r.timestamp') }} as observed_at,
        try_cast(r.openInterest as double) as open_interest,
        fetched_at,
        data_mode
    from records
    where instrument is not null and try_cast(r.timestamp as bigint) is not null
),

deduplicated as (
    -- Overlapping pages and re-fetched days repeat points: keep the latest fetch.
    select *
    from typed
    qualify row_number() over (partition by instrument, observed_at order by fetched_at desc) = 1
),

price_points as (
    -- Each candle gives its open at hour_at and its close an hour later; at a shared instant the open wins.
    select instrument, priced_at, price
    from (
        select instrument, hour_at as priced_at, open as price, 0 as preference
        from {{ ref('stg_bybit__candles') }}
        union all
        select instrument, hour_at + interval 1 hour as priced_at, close as price, 1 as preference
        from {{ ref('stg_bybit__candles') }}
    )
    where price is not null
    qualify row_number() over (partition by instrument, priced_at order by preference) = 1
),

priced as (
    select
        deduplicated.*,
        price_points.price
    from deduplicated
    asof left join price_points
        on deduplicated.instrument = price_points.instrument
        and deduplicated.observed_at >= price_points.priced_at
)

select
    cast('bybit' as varchar) as exchange,
    cast({{ bybit_asset('instrument') }} as varchar) as asset,
    cast(instrument as varchar) as instrument,
    cast(category = 'linear' and instrument like '%USDT' as boolean) as is_primary,
    observed_at,
    cast(case
        when category = 'inverse' then open_interest / nullif(price, 0)
        else open_interest * {{ bybit_coin_multiplier('instrument') }}
    end as double) as oi_coin,
    cast(case
        when category = 'inverse' then open_interest
        -- A 1000PEPEUSDT price is per 1000 PEPE, the unit openInterest counts in.
        else open_interest * price
    end as double) as oi_usd,
    cast(null as double) as long_oi_usd,
    cast(null as double) as short_oi_usd,
    cast('history' as varchar) as oi_source,
    cast(data_mode as varchar) as data_mode,
    cast(category as varchar) as category,
    open_interest as open_interest_contracts,
    cast(price as double) as conversion_price,
    fetched_at
from priced
