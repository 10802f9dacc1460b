-- One row per hourly dYdX v4 funding settlement (instrument, funding_at), from /v4/historicalFunding/{ticker}.
-- `rate` is the 1-hour rate (a fraction per hour, interval 1) and `price` the oracle price at settlement.
-- Settlements land in the first block after the hour (effectiveAt 16:00:00.219): funding_at is that hour,
-- effective_at the block's time. Pages and re-fetched days overlap: the latest fetch wins.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('dydx', 'funding_rates') }}
    where http_status = 200 and json_valid(payload)
),

records as (
    select
        unnest(from_json(payload, '{"historicalFunding":[{"ticker":"VARCHAR","rate":"VARCHAR","price":"VARCHAR","effectiveAt":"VARCHAR","effectiveAtHeight":"VARCHAR"}]}').historicalFunding) as r,
        fetched_at,
        data_mode
    from responses
),

typed as (
    select
        r.ticker as instrument,
        try_cast(r.effectiveAt as timestamptz) as effective_at,
        try_cast(r.effectiveAtHeight as bigint) as effective_at_height,
        try_cast(r.rate as double) as funding_rate,
        try_cast(r.price as double) as oracle_price,
        fetched_at,
        data_mode
    from records
    where r.ticker is not null
)

select
    'dydx' as exchange,
    split_part(instrument, '-', 1) as asset,
    instrument,
    instrument = split_part(instrument, '-', 1) || '-USD' as is_primary,
    date_trunc('hour', effective_at) as funding_at,
    funding_rate,
    cast(1 as double) as funding_interval_hours,
    {{ funding_rate_8h('funding_rate', '1') }} as funding_rate_8h,
    {{ funding_apr('funding_rate', '1') }} as funding_apr,
    data_mode,
    effective_at,
    effective_at_height,
    oracle_price,
    fetched_at
from typed
where effective_at is not null and funding_rate is not null
qualify row_number() over (partition by instrument, date_trunc('hour', effective_at) order by fetched_at desc) = 1
