-- One row per period of OKX's open-interest history of a perpetual (instrument, observed_at), from
-- /rubik/stat/contracts/open-interest-history. Rows are [ts, oi contracts, oi coin, oi USD], newest first,
-- and name no instrument: it is the request's instId. `ts` opens the period and the value is the level at
-- its close (the simulator follows that reading; the still-open period reports the live level and our
-- requests stop before it), so observed_at = ts + period: the moment the level was measured, as the
-- other venues' OI histories stamp it. Only hourly periods (`period=1H`, what our ingest asks for) are
-- kept: mixing periods would stack two grains in one table.
with responses as (
    select
        payload,
        json_extract_string(request_params, '$.instId') as instrument,
        fetched_at,
        data_mode
    from {{ source('okx', 'open_interest_history') }}
    where http_status = 200 and json_valid(payload) and json_extract_string(payload, '$.code') = '0'
        -- OKX's default period is 5m when none is sent.
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
        try_cast(nullif(r[2], '') as double) as oi_contracts,
        try_cast(nullif(r[3], '') as double) as oi_coin,
        try_cast(nullif(r[4], '') as double) as oi_usd,
        fetched_at,
        data_mode
    from records
    where try_cast(r[1] as bigint) is not null
),

deduplicated as (
    -- Overlapping pages and re-fetched days repeat periods: the latest fetch wins.
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
    cast(instrument = asset || '-USDT-SWAP' as boolean) as is_primary,
    cast(period_start_at + interval 1 hour as timestamptz) as observed_at,
    cast(oi_coin as double) as oi_coin,
    cast(oi_usd as double) as oi_usd,
    cast(null as double) as long_oi_usd,
    cast(null as double) as short_oi_usd,
    cast('history' as varchar) as oi_source,
    cast(data_mode as varchar) as data_mode,
    period_start_at,
    cast(oi_contracts as double) as oi_contracts,
    fetched_at
from deduplicated
