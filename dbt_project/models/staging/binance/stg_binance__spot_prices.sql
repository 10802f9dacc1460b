-- One row per (instrument, observed_at) of Binance spot /api/v3/ticker/price: the last traded price of an
-- asset's USDT pair. The answer has no timestamp, so the fetch time dates it. USDT is taken as USD here (the
-- basis marts compare it with USDT-margined perps). price_kind 'spot'.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('binance', 'spot_prices') }}
    where http_status = 200 and json_valid(payload)
),

records as (
    -- ?symbol= answers one object, the all-symbols form an array: read both.
    select
        unnest(case
            when json_type(payload) = 'ARRAY' then from_json(payload, '[{"symbol":"VARCHAR","price":"VARCHAR"}]')
            else [from_json(payload, '{"symbol":"VARCHAR","price":"VARCHAR"}')]
        end) as r,
        fetched_at,
        data_mode
    from responses
)

select
    cast('binance' as varchar) as exchange,
    cast({{ binance_asset('r.symbol') }} as varchar) as asset,
    fetched_at as observed_at,
    cast(try_cast(r.price as double) as double) as price,
    cast('spot' as varchar) as price_kind,
    cast(data_mode as varchar) as data_mode,
    cast(r.symbol as varchar) as instrument
from records
-- Only the USDT pair is the asset's USD reference (one spot price per asset and time).
where r.symbol like '%USDT' and try_cast(r.price as double) > 0
qualify row_number() over (partition by r.symbol, fetched_at order by fetched_at) = 1
