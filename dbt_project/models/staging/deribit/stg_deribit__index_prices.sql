-- One row per Deribit price index per snapshot (asset, observed_at), from get_index_price. The answer does
-- not name its index: the request's index_name does (btc_usd, eth_usd, sol_usdc). observed_at is the fetch
-- time. Should an asset's index be fetched in both quotes, the one its perpetual follows wins (the USD index
-- for the inverse BTC and ETH, the USDC index for the linear assets).
with responses as (
    select
        payload,
        lower(json_extract_string(request_params, '$.index_name')) as index_name,
        fetched_at,
        data_mode
    from {{ source('deribit', 'index_prices') }}
    where http_status = 200 and json_valid(payload)
),

records as (
    select
        from_json(payload, '{"result":{"index_price":"DOUBLE","estimated_delivery_price":"DOUBLE"}}').result as r,
        index_name,
        upper(split_part(index_name, '_', 1)) as asset,
        fetched_at,
        data_mode
    from responses
    -- Volatility indices (btcdvol_usdc) are served by the same method but are not prices.
    where index_name is not null and index_name not like '%dvol%'
)

select
    'deribit' as exchange,
    asset,
    fetched_at as observed_at,
    r.index_price as price,
    'index' as price_kind,
    data_mode,
    index_name,
    r.estimated_delivery_price,
    fetched_at
from records
where r.index_price is not null
qualify row_number() over (
    partition by asset, fetched_at
    order by index_name = lower(asset) || if(asset in ('BTC', 'ETH'), '_usd', '_usdc') desc, index_name
) = 1
