-- One row per Deribit perpetual per hour (instrument, funding_at), from get_funding_rate_history. Deribit's
-- funding accrues continuously; this history is its hourly record: `interest_1h` is the funding paid over the
-- hour ending at `timestamp` (so funding_at is the end of that hour and the interval is 1 h), `interest_8h` the
-- same rate scaled to 8 hours. The rows do not name their perpetual: the request's instrument_name does.
with responses as (
    select
        payload,
        json_extract_string(request_params, '$.instrument_name') as instrument,
        fetched_at,
        data_mode
    from {{ source('deribit', 'funding_rates') }}
    where http_status = 200 and json_valid(payload)
),

records as (
    select
        unnest(from_json(payload, '{"result":[{"timestamp":"BIGINT","index_price":"DOUBLE","prev_index_price":"DOUBLE","interest_1h":"DOUBLE","interest_8h":"DOUBLE"}]}').result) as r,
        instrument,
        fetched_at,
        data_mode
    from responses
    where instrument is not null
),

deduplicated as (
    -- Overlapping windows and re-fetched partitions repeat hours: the latest fetch wins.
    select
        instrument,
        {{ epoch_ms_to_ts('r.timestamp') }} as funding_at,
        r.interest_1h as funding_rate,
        r.interest_8h,
        r.index_price,
        r.prev_index_price,
        fetched_at,
        data_mode
    from records
    where r.timestamp is not null and r.interest_1h is not null
    qualify row_number() over (partition by instrument, r.timestamp order by fetched_at desc) = 1
)

select
    'deribit' as exchange,
    {{ deribit_asset('instrument') }} as asset,
    instrument,
    instrument = case
        when {{ deribit_asset('instrument') }} in ('BTC', 'ETH') then {{ deribit_asset('instrument') }} || '-PERPETUAL'
        else {{ deribit_asset('instrument') }} || '_USDC-PERPETUAL'
    end as is_primary,
    funding_at,
    funding_rate,
    cast(1 as double) as funding_interval_hours,
    {{ funding_rate_8h('funding_rate', '1') }} as funding_rate_8h,
    {{ funding_apr('funding_rate', '1') }} as funding_apr,
    data_mode,
    interest_8h,
    index_price,
    prev_index_price,
    fetched_at
from deduplicated
