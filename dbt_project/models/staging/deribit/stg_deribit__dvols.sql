-- One row per DVOL hourly candle (asset, observed_at), from get_volatility_index_data (resolution 3600 s):
-- Deribit's 30-day implied volatility index for BTC and ETH, in percent, here a fraction. A candle is
-- [open time, open, high, low, close]; dvol is its close, the index at the candle's end, so observed_at is
-- the candle's end (or the server's time for the candle still forming when fetched). Pages and re-fetched days
-- overlap: one row per candle, the latest fetch wins (it holds the most complete candle).
with responses as (
    select
        payload,
        upper(json_extract_string(request_params, '$.currency')) as asset,
        coalesce(try_cast(json_extract_string(request_params, '$.resolution') as integer), 3600) as resolution_s,
        fetched_at,
        data_mode
    from {{ source('deribit', 'dvol') }}
    where http_status = 200 and json_valid(payload)
),

candles as (
    select
        unnest(from_json(payload, '{"result":{"data":"DOUBLE[][]"}}').result.data) as c,
        -- usIn: when Deribit received the request, the instant a forming candle's close refers to.
        coalesce(make_timestamptz(try_cast(json_extract(payload, '$.usIn') as bigint)), fetched_at) as server_at,
        asset,
        resolution_s,
        fetched_at,
        data_mode
    from responses
    -- Other resolutions would put candles of another length under the same key.
    where resolution_s = 3600 and asset is not null
),

typed as (
    select
        asset,
        {{ epoch_ms_to_ts('c[1]') }} as candle_at,
        c[2] / 100.0 as dvol_open,
        c[3] / 100.0 as dvol_high,
        c[4] / 100.0 as dvol_low,
        c[5] / 100.0 as dvol,
        server_at,
        fetched_at,
        data_mode
    from candles
    where len(c) = 5 and c[1] is not null and c[5] is not null
    qualify row_number() over (partition by asset, c[1] order by fetched_at desc) = 1
)

select
    'deribit' as exchange,
    asset,
    least(candle_at + interval 1 hour, server_at) as observed_at,
    dvol,
    data_mode,
    candle_at,
    dvol_open,
    dvol_high,
    dvol_low,
    candle_at + interval 1 hour <= server_at as is_complete,
    fetched_at
from typed
-- A candle stamped at (or after) the server's time has not started: its "close" is only its open, and its
-- observed_at would equal the previous candle's end.
where candle_at < server_at
