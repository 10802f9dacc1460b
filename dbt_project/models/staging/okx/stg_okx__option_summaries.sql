-- One row per OKX option per /public/opt-summary observation (instrument, observed_at = OKX's ts).
-- opt-summary carries the implied vols (fractions: markVol 0.59 = 59 %) and greeks, but no price, open
-- interest or volume: those come from the snapshots of the same run (nearest observation of the option at
-- most 10 minutes away): /public/mark-price (mark in coin), /public/open-interest (oiCcy coin, oiUsd) and
-- /market/tickers (volCcy24h coin). OKX options are coin-settled and priced in coin, so USD figures are coin
-- x the family's USD index (BTC-USD), or the forward when no index was observed.
-- Greeks: OKX sends Black-Scholes greeks in USD (deltaBS, gammaBS, vegaBS, thetaBS) and price-adjusted ones
-- in coin (delta, gamma, vega, theta). The BS set is kept as delta/gamma/vega/theta: it is what Deribit and
-- Bybit report (per 1 coin of underlying), so chains compare across venues; the coin set is kept as *_pa.
-- Expiry, strike and type come from the id (BTC-USD-250627-100000-C): OKX exercises at 08:00 UTC.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('okx', 'option_summary') }}
    where http_status = 200 and json_valid(payload) and json_extract_string(payload, '$.code') = '0'
),

records as (
    select
        unnest(from_json(payload, '{"data":[{"instId":"VARCHAR","uly":"VARCHAR","instFamily":"VARCHAR","markVol":"VARCHAR","bidVol":"VARCHAR","askVol":"VARCHAR","fwdPx":"VARCHAR","delta":"VARCHAR","gamma":"VARCHAR","vega":"VARCHAR","theta":"VARCHAR","deltaBS":"VARCHAR","gammaBS":"VARCHAR","vegaBS":"VARCHAR","thetaBS":"VARCHAR","ts":"BIGINT"}]}').data) as r,
        fetched_at,
        data_mode
    from responses
),

summaries as (
    select
        r.instId as instrument,
        upper(split_part(r.instId, '-', 1)) as asset,
        split_part(r.instId, '-', 1) || '-' || split_part(r.instId, '-', 2) as family,
        {{ epoch_ms_to_ts('r.ts') }} as observed_at,
        cast(strptime(split_part(r.instId, '-', 3) || ' 08:00:00+00', '%y%m%d %H:%M:%S%z') as timestamptz) as expiry_at,
        try_cast(split_part(r.instId, '-', 4) as double) as strike,
        case split_part(r.instId, '-', 5) when 'C' then 'call' when 'P' then 'put' end as option_type,
        try_cast(nullif(r.markVol, '') as double) as mark_iv,
        try_cast(nullif(r.bidVol, '') as double) as bid_iv,
        try_cast(nullif(r.askVol, '') as double) as ask_iv,
        try_cast(nullif(r.fwdPx, '') as double) as forward_price,
        try_cast(nullif(r.deltaBS, '') as double) as delta,
        try_cast(nullif(r.gammaBS, '') as double) as gamma,
        try_cast(nullif(r.vegaBS, '') as double) as vega,
        try_cast(nullif(r.thetaBS, '') as double) as theta,
        try_cast(nullif(r.delta, '') as double) as delta_pa,
        try_cast(nullif(r.gamma, '') as double) as gamma_pa,
        try_cast(nullif(r.vega, '') as double) as vega_pa,
        try_cast(nullif(r.theta, '') as double) as theta_pa,
        fetched_at,
        data_mode
    from records
    where r.ts is not null and regexp_matches(r.instId, '^[A-Z0-9]+-[A-Z]+-[0-9]{6}-[0-9.]+-[CP]$')
    qualify row_number() over (partition by r.instId, r.ts order by fetched_at desc) = 1
),

marks as (
    select
        r.instId as instrument,
        {{ epoch_ms_to_ts('r.ts') }} as observed_at,
        try_cast(nullif(r.markPx, '') as double) as mark_price_coin
    from (
        select unnest(from_json(payload, '{"data":[{"instType":"VARCHAR","instId":"VARCHAR","markPx":"VARCHAR","ts":"BIGINT"}]}').data) as r
        from {{ source('okx', 'mark_price') }}
        where http_status = 200 and json_valid(payload) and json_extract_string(payload, '$.code') = '0'
    )
    where r.instType = 'OPTION' and r.ts is not null
),

open_interests as (
    select
        r.instId as instrument,
        {{ epoch_ms_to_ts('r.ts') }} as observed_at,
        try_cast(nullif(r.oiCcy, '') as double) as open_interest_coin,
        try_cast(nullif(r.oiUsd, '') as double) as open_interest_usd_sent
    from (
        select unnest(from_json(payload, '{"data":[{"instType":"VARCHAR","instId":"VARCHAR","oiCcy":"VARCHAR","oiUsd":"VARCHAR","ts":"BIGINT"}]}').data) as r
        from {{ source('okx', 'open_interest') }}
        where http_status = 200 and json_valid(payload) and json_extract_string(payload, '$.code') = '0'
    )
    where r.instType = 'OPTION' and r.ts is not null
),

tickers as (
    select
        r.instId as instrument,
        {{ epoch_ms_to_ts('r.ts') }} as observed_at,
        try_cast(nullif(r.volCcy24h, '') as double) as volume_coin
    from (
        select unnest(from_json(payload, '{"data":[{"instType":"VARCHAR","instId":"VARCHAR","volCcy24h":"VARCHAR","ts":"BIGINT"}]}').data) as r
        from {{ source('okx', 'option_tickers') }}
        where http_status = 200 and json_valid(payload) and json_extract_string(payload, '$.code') = '0'
    )
    where r.instType = 'OPTION' and r.ts is not null
),

-- Each side table joined to the nearest observation of the same option (or index) within 10 minutes.
with_mark as (
    select summaries.*, marks.mark_price_coin
    from summaries
    left join marks
        on marks.instrument = summaries.instrument
        and marks.observed_at between summaries.observed_at - interval 10 minute and summaries.observed_at + interval 10 minute
    qualify row_number() over (
        partition by summaries.instrument, summaries.observed_at
        order by abs(epoch(marks.observed_at) - epoch(summaries.observed_at)) nulls last
    ) = 1
),

with_oi as (
    select with_mark.*, open_interests.open_interest_coin, open_interests.open_interest_usd_sent
    from with_mark
    left join open_interests
        on open_interests.instrument = with_mark.instrument
        and open_interests.observed_at between with_mark.observed_at - interval 10 minute and with_mark.observed_at + interval 10 minute
    qualify row_number() over (
        partition by with_mark.instrument, with_mark.observed_at
        order by abs(epoch(open_interests.observed_at) - epoch(with_mark.observed_at)) nulls last
    ) = 1
),

with_volume as (
    select with_oi.*, tickers.volume_coin
    from with_oi
    left join tickers
        on tickers.instrument = with_oi.instrument
        and tickers.observed_at between with_oi.observed_at - interval 10 minute and with_oi.observed_at + interval 10 minute
    qualify row_number() over (
        partition by with_oi.instrument, with_oi.observed_at
        order by abs(epoch(tickers.observed_at) - epoch(with_oi.observed_at)) nulls last
    ) = 1
),

with_index as (
    select with_volume.*, indexes.index_price
    from with_volume
    left join {{ ref('stg_okx__index_prices') }} as indexes
        on indexes.instrument = with_volume.family
        and indexes.observed_at between with_volume.observed_at - interval 10 minute and with_volume.observed_at + interval 10 minute
    qualify row_number() over (
        partition by with_volume.instrument, with_volume.observed_at
        order by abs(epoch(indexes.observed_at) - epoch(with_volume.observed_at)) nulls last
    ) = 1
),

priced as (
    select
        *,
        coalesce(index_price, forward_price) as usd_per_coin
    from with_index
)

select
    cast('okx' as varchar) as exchange,
    cast(asset as varchar) as asset,
    cast(instrument as varchar) as instrument,
    observed_at,
    expiry_at,
    cast(strike as double) as strike,
    cast(option_type as varchar) as option_type,
    cast(open_interest_coin as double) as open_interest_coin,
    cast(coalesce(open_interest_usd_sent, open_interest_coin * usd_per_coin) as double) as open_interest_usd,
    cast(volume_coin as double) as volume_coin,
    cast(volume_coin * usd_per_coin as double) as volume_usd,
    cast(mark_price_coin * usd_per_coin as double) as mark_price_usd,
    cast(mark_iv as double) as mark_iv,
    cast(forward_price as double) as underlying_price,
    cast(delta as double) as delta,
    cast(gamma as double) as gamma,
    cast(vega as double) as vega,
    cast(theta as double) as theta,
    cast(data_mode as varchar) as data_mode,
    cast(mark_price_coin as double) as mark_price_coin,
    cast(index_price as double) as index_price,
    cast(bid_iv as double) as bid_iv,
    cast(ask_iv as double) as ask_iv,
    cast(delta_pa as double) as delta_pa,
    cast(gamma_pa as double) as gamma_pa,
    cast(vega_pa as double) as vega_pa,
    cast(theta_pa as double) as theta_pa,
    fetched_at
from priced
