-- One row per Bybit instrument (linear and inverse contracts, options), from the latest instruments-info
-- snapshot that lists it. Instruments missing from the newest snapshot (expired, delisted) keep their last
-- row with is_active = false, so older facts still join to them.
with responses as (
    select payload, partition_key, fetched_at
    from {{ source('bybit', 'instruments') }}
    where http_status = 200 and json_valid(payload)
),

parsed as (
    select
        from_json(payload, '{"retCode":"INTEGER","time":"BIGINT","result":{"category":"VARCHAR","list":[{"symbol":"VARCHAR","contractType":"VARCHAR","status":"VARCHAR","baseCoin":"VARCHAR","quoteCoin":"VARCHAR","settleCoin":"VARCHAR","optionsType":"VARCHAR","deliveryTime":"VARCHAR","fundingInterval":"INTEGER"}]}}') as body,
        partition_key,
        fetched_at
    from responses
),

records as (
    select
        unnest(body.result.list) as r,
        body.time as venue_time_ms,
        partition_key,
        fetched_at
    from parsed
    where body.retCode = 0
),

latest as (
    -- With baseCoin, Bybit may list a coin's inverse contracts under category=linear too: one row per symbol.
    select
        *,
        partition_key = max(partition_key) over () as in_latest_snapshot
    from records
    where r.symbol is not null
    qualify row_number() over (partition by r.symbol order by partition_key desc, fetched_at desc) = 1
),

classified as (
    select
        *,
        case
            when r.contractType in ('LinearPerpetual', 'InversePerpetual') then 'perpetual'
            when r.contractType in ('LinearFutures', 'InverseFutures') then 'future'
            when r.optionsType is not null then 'option'
        end as kind,
        -- Inverse contracts are 1 USD each; linear contracts and options are sized in the base coin.
        case when r.contractType like 'Inverse%' then 'usd' else 'coin' end as contract_unit,
        -- Small coins are listed in multiples: 1000PEPE (prefix) or SHIB1000 (suffix) is 1000 coins.
        coalesce(
            try_cast(nullif(regexp_extract(r.baseCoin, '^(10+)[A-Z]', 1), '') as double),
            try_cast(nullif(regexp_extract(r.baseCoin, '[A-Z](10+)$', 1), '') as double),
            1.0
        ) as coin_multiplier
    from latest
)

select
    cast('bybit' as varchar) as exchange,
    cast(r.symbol as varchar) as instrument,
    cast(regexp_replace(regexp_replace(r.baseCoin, '^10+([A-Z])', '\1'), '([A-Z])10+$', '\1') as varchar) as asset,
    cast(kind as varchar) as kind,
    cast(r.quoteCoin as varchar) as quote_currency,
    cast(r.settleCoin as varchar) as settlement_currency,
    cast(case when contract_unit = 'coin' then coin_multiplier else 1.0 end as double) as contract_size,
    cast(contract_unit as varchar) as contract_unit,
    -- For perpetuals deliveryTime is 0 or a planned delisting, never an expiry.
    cast(case
        when kind in ('future', 'option') and try_cast(r.deliveryTime as bigint) > 0
            then {{ epoch_ms_to_ts('r.deliveryTime') }}
    end as timestamptz) as expiry_at,
    cast(case when kind = 'option' then try_cast(split_part(r.symbol, '-', 3) as double) end as double) as strike,
    cast(lower(r.optionsType) as varchar) as option_type,
    -- fundingInterval is in minutes (480 = 8 h).
    cast(case when kind = 'perpetual' then r.fundingInterval / 60.0 end as double) as funding_interval_hours,
    cast(in_latest_snapshot and r.status = 'Trading' as boolean) as is_active,
    cast(coalesce({{ epoch_ms_to_ts('venue_time_ms') }}, fetched_at) as timestamptz) as observed_at
from classified
