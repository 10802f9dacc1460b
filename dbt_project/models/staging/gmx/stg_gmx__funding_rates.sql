-- One row per GMX v2 primary market per hour (instrument, funding_at). GMX keeps no funding history and its
-- funding accrues every second, so our hourly /markets/info snapshots are the history: each row is the
-- snapshot's rate longs pay per hour (see stg_gmx__market_snapshots: -fundingRateLong / 8760, positive = longs
-- pay), interval 1, funding_at the snapshot's hour. Should an hour hold two snapshots, the latest wins.
select
    exchange,
    asset,
    instrument,
    is_primary,
    date_trunc('hour', observed_at) as funding_at,
    funding_rate,
    funding_interval_hours,
    funding_rate_8h,
    funding_apr,
    data_mode,
    funding_rate_short_pays,
    observed_at,
    fetched_at
from {{ ref('stg_gmx__market_snapshots') }}
where is_primary and funding_rate is not null
qualify row_number() over (partition by instrument, date_trunc('hour', observed_at) order by observed_at desc) = 1
