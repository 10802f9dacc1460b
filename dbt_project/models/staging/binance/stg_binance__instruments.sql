-- One row per Binance futures contract, USD-M (/fapi/v1/exchangeInfo) and COIN-M (/dapi/v1/exchangeInfo), from
-- the latest snapshot that lists it. Contracts missing from their host's newest snapshot (delivered, delisted)
-- keep their last row with is_active = false, so older facts still join to them.
--   kind: contractType PERPETUAL is a perpetual, CURRENT_QUARTER / NEXT_QUARTER (and other dated types) a future;
--   USD-M quantities are coin (1000PEPEUSDT: units of 1000 PEPE), settled in the margin asset (USDT);
--   COIN-M contracts are contractSize USD each (100 for BTC, 10 for others), margined and settled in the coin;
--   funding interval: the latest /fapi/v1/fundingInfo snapshot lists the adjusted USD-M symbols, every other
--   perpetual settles every 8 h.
with responses as (
    select endpoint, payload, fetched_at
    from {{ source('binance', 'exchange_info') }}
    where http_status = 200 and json_valid(payload)
),

snapshots as (
    select
        endpoint like '/dapi/%' as is_coin_margined,
        from_json(payload, '{"symbols":[{"symbol":"VARCHAR","pair":"VARCHAR","contractType":"VARCHAR","deliveryDate":"BIGINT","status":"VARCHAR","contractStatus":"VARCHAR","baseAsset":"VARCHAR","quoteAsset":"VARCHAR","marginAsset":"VARCHAR","contractSize":"DOUBLE"}]}').symbols as symbols,
        fetched_at,
        fetched_at = max(fetched_at) over (partition by endpoint) as is_latest_snapshot
    from responses
),

records as (
    select
        unnest(symbols) as s,
        is_coin_margined,
        is_latest_snapshot,
        fetched_at
    from snapshots
),

latest as (
    select *
    from records
    where s.symbol is not null
    qualify row_number() over (partition by s.symbol order by fetched_at desc) = 1
),

latest_funding_info as (
    select payload
    from {{ source('binance', 'funding_info') }}
    where http_status = 200 and json_valid(payload)
    qualify row_number() over (order by fetched_at desc) = 1
),

funding_intervals as (
    select
        f.symbol as instrument,
        f.fundingIntervalHours as funding_interval_hours
    from (
        select unnest(from_json(payload, '[{"symbol":"VARCHAR","fundingIntervalHours":"INTEGER"}]')) as f
        from latest_funding_info
    )
    where f.symbol is not null
),

classified as (
    select
        latest.*,
        case
            when s.contractType like '%PERPETUAL%' then 'perpetual'
            -- A delisted contract can lose its type; a perpetual keeps the 2100-12-25 placeholder delivery date.
            when coalesce(s.contractType, '') = '' and s.deliveryDate >= 4133404800000 then 'perpetual'
            else 'future'
        end as kind,
        -- 1000-multiplied USD-M bases (1000PEPE, 1000000MOG) quote that many coins of the asset per unit.
        coalesce(try_cast(regexp_extract(s.baseAsset, '^(1000+)', 1) as double), 1.0) as coins_per_unit
    from latest
)

select
    cast('binance' as varchar) as exchange,
    cast(s.symbol as varchar) as instrument,
    cast(regexp_replace(s.baseAsset, '^1000+', '') as varchar) as asset,
    cast(kind as varchar) as kind,
    cast(s.quoteAsset as varchar) as quote_currency,
    cast(s.marginAsset as varchar) as settlement_currency,
    cast(case when is_coin_margined then s.contractSize else coins_per_unit end as double) as contract_size,
    cast(case when is_coin_margined then 'usd' else 'coin' end as varchar) as contract_unit,
    cast(case when kind = 'future' then {{ epoch_ms_to_ts('s.deliveryDate') }} end as timestamptz) as expiry_at,
    cast(null as double) as strike,
    cast(null as varchar) as option_type,
    cast(case
        when kind = 'perpetual' then coalesce(funding_intervals.funding_interval_hours, 8)
    end as double) as funding_interval_hours,
    cast(is_latest_snapshot and coalesce(s.status, s.contractStatus) = 'TRADING' as boolean) as is_active,
    cast(fetched_at as timestamptz) as observed_at
from classified
left join funding_intervals on funding_intervals.instrument = classified.s.symbol
