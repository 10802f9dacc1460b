-- One row per BitMEX composite index value per /instrument/indices snapshot (exchange, asset, observed_at).
-- BitMEX publishes hundreds of indices (TWAPs such as .BXBT30M, premium and interest indices, coin-quoted
-- ones); each asset's spot index is `.B<root>` (.BXBT, .BETH, .BSOL), the referenceSymbol of its USD
-- perpetual, and its lastPrice is the index value (reference/exchange_api.md section 5 (9)).
-- observed_at is the row's own `timestamp` (when the value was published), else the fetch time.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('bitmex', 'indices') }}
    where http_status = 200 and json_valid(payload)
),

records as (
    select
        unnest(from_json(payload, '[{"symbol":"VARCHAR","rootSymbol":"VARCHAR","quoteCurrency":"VARCHAR","lastPrice":"DOUBLE","markPrice":"DOUBLE","timestamp":"VARCHAR"}]')) as r,
        fetched_at,
        data_mode
    from responses
    -- An error answer is an object ({"error": ...}), not a list.
    where json_type(payload) = 'ARRAY'
),

typed as (
    select
        r.symbol as instrument,
        case when r.rootSymbol = 'XBT' then 'BTC' else r.rootSymbol end as asset,
        cast(coalesce(try_cast(r.timestamp as timestamptz), fetched_at) as timestamptz) as observed_at,
        coalesce(r.lastPrice, r.markPrice) as price,
        fetched_at,
        data_mode
    from records
    where r.symbol = '.B' || r.rootSymbol and coalesce(r.quoteCurrency, 'USD') = 'USD'
),

deduplicated as (
    -- The same answer stored in two partitions is one observation: keep the latest fetch.
    select *
    from typed
    qualify row_number() over (partition by asset, observed_at order by fetched_at desc) = 1
)

select
    cast('bitmex' as varchar) as exchange,
    cast(asset as varchar) as asset,
    observed_at,
    cast(price as double) as price,
    cast('index' as varchar) as price_kind,
    cast(data_mode as varchar) as data_mode,
    cast(instrument as varchar) as instrument,
    fetched_at
from deduplicated
