-- One row per closed hourly candle of an OKX perpetual (instrument, hour_at), from /market/candles and
-- /market/history-candles with bar=1H. Rows are [ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm], newest
-- first, naming no instrument (it is the request's instId): vol is in contracts, volCcy in coin, volCcyQuote
-- in the quote currency (USDT for linear contracts, USD for inverse ones), taken as USD. Only confirmed bars
-- (confirm = 1) are kept: the open bar changes until it closes. Older answers without volCcy/volCcyQuote get
-- the volumes from contracts x contract size. OKX candles carry no taker buy/sell split.
with responses as (
    select
        payload,
        json_extract_string(request_params, '$.instId') as instrument,
        fetched_at,
        data_mode
    from {{ source('okx', 'candles') }}
    where http_status = 200 and json_valid(payload) and json_extract_string(payload, '$.code') = '0'
        -- OKX's default bar is 1m: only hourly bars make this model's grain.
        and json_extract_string(request_params, '$.bar') = '1H'
),

records as (
    select
        unnest(from_json(payload, '{"data":[["VARCHAR"]]}').data) as r,
        instrument,
        fetched_at,
        data_mode
    from responses
    where instrument is not null
),

typed as (
    select
        instrument,
        upper(split_part(instrument, '-', 1)) as asset,
        {{ epoch_ms_to_ts('try_cast(r[1] as bigint)') }} as hour_at,
        try_cast(r[2] as double) as open,
        try_cast(r[3] as double) as high,
        try_cast(r[4] as double) as low,
        try_cast(r[5] as double) as close,
        try_cast(nullif(r[6], '') as double) as volume_contracts,
        try_cast(nullif(r[7], '') as double) as volume_coin_sent,
        try_cast(nullif(r[8], '') as double) as volume_quote_sent,
        fetched_at,
        data_mode
    from records
    where try_cast(r[1] as bigint) is not null and r[9] = '1'
),

deduplicated as (
    -- Overlapping pages and re-fetched days repeat bars: the latest fetch wins.
    select *
    from typed
    qualify row_number() over (partition by instrument, hour_at order by fetched_at desc) = 1
),

volumes as (
    select
        deduplicated.*,
        coalesce(
            volume_coin_sent,
            case
                when instruments.contract_unit = 'coin' then volume_contracts * instruments.contract_size
                when instruments.contract_unit = 'usd'
                    then volume_contracts * instruments.contract_size / nullif((high + low + close) / 3, 0)
            end
        ) as volume_coin,
        coalesce(
            volume_quote_sent,
            case
                when instruments.contract_unit = 'usd' then volume_contracts * instruments.contract_size
                -- At the bar's typical price: close enough to its VWAP for hourly volume shares.
                when instruments.contract_unit = 'coin'
                    then volume_contracts * instruments.contract_size * (high + low + close) / 3
            end
        ) as volume_usd
    from deduplicated
    left join {{ ref('stg_okx__instruments') }} as instruments
        on instruments.instrument = deduplicated.instrument
)

select
    cast('okx' as varchar) as exchange,
    cast(asset as varchar) as asset,
    cast(instrument as varchar) as instrument,
    cast(instrument = asset || '-USDT-SWAP' as boolean) as is_primary,
    hour_at,
    cast(open as double) as open,
    cast(high as double) as high,
    cast(low as double) as low,
    cast(close as double) as close,
    cast(volume_coin as double) as volume_coin,
    cast(volume_usd as double) as volume_usd,
    cast(null as double) as taker_buy_coin,
    cast(null as double) as taker_sell_coin,
    cast(data_mode as varchar) as data_mode,
    cast(volume_contracts as double) as volume_contracts,
    fetched_at
from volumes
