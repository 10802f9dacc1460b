-- One row per Drift perpetual of the latest /stats/markets snapshot (spot rows share the list and are
-- left out). Positions are in base units of the asset (contract_unit coin, size 1), quoted and settled
-- in the quote asset (USDC), with funding settled every hour. A market keeps trading until it goes to
-- settlement or is delisted (reduce-only and paused markets still carry positions and funding).
with latest_markets as (
    select payload, fetched_at
    from {{ source('drift', 'markets') }}
    where http_status = 200 and json_valid(payload)
    qualify row_number() over (order by fetched_at desc, page) = 1
),

markets as (
    select
        unnest(from_json(payload, '{"markets":[{"symbol":"VARCHAR","marketIndex":"INTEGER","marketType":"VARCHAR","baseAsset":"VARCHAR","quoteAsset":"VARCHAR","status":"VARCHAR"}]}').markets) as m,
        fetched_at
    from latest_markets
)

select
    cast('drift' as varchar) as exchange,
    cast(m.symbol as varchar) as instrument,
    cast(coalesce(m.baseAsset, regexp_replace(m.symbol, '-PERP$', '')) as varchar) as asset,
    cast('perpetual' as varchar) as kind,
    cast(coalesce(m.quoteAsset, 'USDC') as varchar) as quote_currency,
    cast(coalesce(m.quoteAsset, 'USDC') as varchar) as settlement_currency,
    cast(1 as double) as contract_size,
    cast('coin' as varchar) as contract_unit,
    cast(null as timestamptz) as expiry_at,
    cast(null as double) as strike,
    cast(null as varchar) as option_type,
    cast(1 as double) as funding_interval_hours,
    coalesce(lower(m.status) not in ('initialized', 'settlement', 'delisted'), false) as is_active,
    fetched_at as observed_at
from markets
where m.marketType = 'perp' and m.symbol is not null
qualify row_number() over (partition by m.symbol order by fetched_at desc) = 1
