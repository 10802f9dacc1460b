-- One row per hourly long/short account ratio of a Bybit perpetual (exchange, instrument, observed_at),
-- from /v5/market/account-ratio (period 1h). buyRatio and sellRatio are the shares (0..1) of accounts
-- holding a net long and a net short position, hence ratio_kind 'accounts'. The answer carries no
-- category (simulator/venues/bybit.py account_ratio), so it is read from the request parameters.
with responses as (
    select payload, request_params, fetched_at, data_mode
    from {{ source('bybit', 'long_short_ratio') }}
    where http_status = 200 and json_valid(payload)
),

parsed as (
    select
        from_json(payload, '{"retCode":"INTEGER","result":{"list":[{"symbol":"VARCHAR","buyRatio":"VARCHAR","sellRatio":"VARCHAR","timestamp":"VARCHAR"}]}}') as body,
        json_extract_string(request_params, '$.category') as category,
        fetched_at,
        data_mode
    from responses
),

records as (
    select
        unnest(body.result.list) as r,
        category,
        fetched_at,
        data_mode
    from parsed
    -- Errors keep HTTP 200 on Bybit: the failure is in retCode.
    where body.retCode = 0
),

typed as (
    select
        r.symbol as instrument,
        category,
        {{ epoch_ms_to_ts('r.timestamp') }} as observed_at,
        try_cast(r.buyRatio as double) as long_share,
        try_cast(r.sellRatio as double) as short_share,
        fetched_at,
        data_mode
    from records
    where r.symbol is not null and try_cast(r.timestamp as bigint) is not null
),

deduplicated as (
    -- Overlapping pages and re-fetched days repeat points: keep the latest fetch.
    select *
    from typed
    qualify row_number() over (partition by instrument, observed_at order by fetched_at desc) = 1
)

select
    cast('bybit' as varchar) as exchange,
    cast({{ bybit_asset('instrument') }} as varchar) as asset,
    cast(instrument as varchar) as instrument,
    observed_at,
    cast('accounts' as varchar) as ratio_kind,
    long_share,
    short_share,
    cast(long_share / nullif(short_share, 0) as double) as long_short_ratio,
    cast(data_mode as varchar) as data_mode,
    cast(coalesce(category, 'linear') = 'linear' and instrument like '%USDT' as boolean) as is_primary,
    cast(category as varchar) as category,
    fetched_at
from deduplicated
