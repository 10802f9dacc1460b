-- One row per (instrument, ratio_kind, observed_at) of Binance USD-M's hourly long/short statistics. One raw
-- dataset holds several endpoints with identical rows, so the raw row's endpoint names the kind:
--   /futures/data/globalLongShortAccountRatio -> 'accounts' (share of all accounts net long / short),
--   /futures/data/topLongShortAccountRatio    -> 'top_accounts' (top 20 % of traders by margin, by account),
--   /futures/data/topLongShortPositionRatio   -> 'top_positions' (top 20 %, share of their position size).
-- Shares are fractions (0..1); the position ratio names its shares longAccount on fapi, longPosition on dapi.
with responses as (
    select endpoint, payload, fetched_at, data_mode
    from {{ source('binance', 'long_short_ratio') }}
    where http_status = 200 and json_valid(payload) and json_type(payload) = 'ARRAY'
),

records as (
    select
        case
            when endpoint like '%/globalLongShortAccountRatio' then 'accounts'
            when endpoint like '%/topLongShortAccountRatio' then 'top_accounts'
            when endpoint like '%/topLongShortPositionRatio' then 'top_positions'
        end as ratio_kind,
        unnest(from_json(payload, '[{"symbol":"VARCHAR","pair":"VARCHAR","longShortRatio":"VARCHAR","longAccount":"VARCHAR","shortAccount":"VARCHAR","longPosition":"VARCHAR","shortPosition":"VARCHAR","timestamp":"VARCHAR"}]')) as r,
        fetched_at,
        data_mode
    from responses
),

observations as (
    select
        coalesce(r.symbol, r.pair) as instrument,
        ratio_kind,
        {{ binance_ms_to_ts('r.timestamp') }} as observed_at,
        try_cast(coalesce(r.longAccount, r.longPosition) as double) as long_share,
        try_cast(coalesce(r.shortAccount, r.shortPosition) as double) as short_share,
        try_cast(r.longShortRatio as double) as long_short_ratio,
        fetched_at,
        data_mode
    from records
    where ratio_kind is not null
        and coalesce(r.symbol, r.pair) is not null
        and try_cast(r.timestamp as bigint) is not null
    qualify row_number() over (
        partition by coalesce(r.symbol, r.pair), ratio_kind, r.timestamp order by fetched_at desc
    ) = 1
)

select
    cast('binance' as varchar) as exchange,
    cast({{ binance_asset('instrument') }} as varchar) as asset,
    cast(instrument as varchar) as instrument,
    observed_at,
    cast(ratio_kind as varchar) as ratio_kind,
    cast(long_share as double) as long_share,
    cast(short_share as double) as short_share,
    cast(long_short_ratio as double) as long_short_ratio,
    cast(data_mode as varchar) as data_mode,
    fetched_at
from observations
