-- One row per hourly period of OKX's long/short account ratio of a perpetual (instrument, observed_at), from
-- /rubik/stat/contracts/long-short-account-ratio-contract: rows [ts, ratio] where ratio = accounts net long
-- / accounts net short, newest first, naming no instrument (it is the request's instId). Shares follow from
-- the ratio: long_share = ratio / (1 + ratio), short_share = 1 / (1 + ratio). As with the OI history, `ts`
-- opens the period and the value is measured at its close, so observed_at = ts + 1 h. Only hourly periods
-- (`period=1H`, what our ingest asks for) are kept.
with responses as (
    select
        payload,
        json_extract_string(request_params, '$.instId') as instrument,
        fetched_at,
        data_mode
    from {{ source('okx', 'long_short_account_ratio') }}
    where http_status = 200 and json_valid(payload) and json_extract_string(payload, '$.code') = '0'
        and json_extract_string(request_params, '$.period') = '1H'
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
        {{ epoch_ms_to_ts('try_cast(r[1] as bigint)') }} as period_start_at,
        try_cast(nullif(r[2], '') as double) as long_short_ratio,
        fetched_at,
        data_mode
    from records
    where try_cast(r[1] as bigint) is not null and try_cast(nullif(r[2], '') as double) >= 0
),

deduplicated as (
    select *
    from typed
    -- A period still open when fetched reports a live level, not its close: left out (a later fetch has it).
    where period_start_at + interval 1 hour <= fetched_at
    qualify row_number() over (partition by instrument, period_start_at order by fetched_at desc) = 1
)

select
    cast('okx' as varchar) as exchange,
    cast(asset as varchar) as asset,
    cast(instrument as varchar) as instrument,
    cast(period_start_at + interval 1 hour as timestamptz) as observed_at,
    cast('accounts' as varchar) as ratio_kind,
    cast(long_short_ratio / (1 + long_short_ratio) as double) as long_share,
    cast(1 / (1 + long_short_ratio) as double) as short_share,
    cast(long_short_ratio as double) as long_short_ratio,
    cast(data_mode as varchar) as data_mode,
    cast(instrument = asset || '-USDT-SWAP' as boolean) as is_primary,
    period_start_at,
    fetched_at
from deduplicated
