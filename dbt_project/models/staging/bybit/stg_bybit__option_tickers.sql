-- One row per Bybit option per chain snapshot (exchange, instrument, observed_at), from
-- /v5/market/tickers?category=option&baseCoin=<asset>. Unlike Deribit and OKX, Bybit quotes options in USD
-- and sends markIv as a fraction (reference/exchange_api.md 0.1 and section 2, simulator/venues/bybit.py
-- _option_ticker), so no conversion is needed; openInterest and volume24h are in the base coin and
-- turnover24h is USD. Expiry and strike come from instruments-info when it lists the option, else from the
-- symbol (BTC-27DEC24-100000-C, sometimes with a -USDT suffix): Bybit options expire at 08:00 UTC.
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('bybit', 'option_tickers') }}
    where http_status = 200 and json_valid(payload)
),

parsed as (
    select
        from_json(payload, '{"retCode":"INTEGER","time":"BIGINT","result":{"category":"VARCHAR","list":[{"symbol":"VARCHAR","markPrice":"VARCHAR","markIv":"VARCHAR","indexPrice":"VARCHAR","underlyingPrice":"VARCHAR","openInterest":"VARCHAR","volume24h":"VARCHAR","turnover24h":"VARCHAR","bid1Price":"VARCHAR","ask1Price":"VARCHAR","bid1Iv":"VARCHAR","ask1Iv":"VARCHAR","delta":"VARCHAR","gamma":"VARCHAR","vega":"VARCHAR","theta":"VARCHAR"}]}}') as body,
        fetched_at,
        data_mode
    from responses
),

records as (
    select
        unnest(body.result.list) as r,
        body.time as venue_time_ms,
        fetched_at,
        data_mode
    from parsed
    -- Errors keep HTTP 200 on Bybit: the failure is in retCode.
    where body.retCode = 0 and body.result.category = 'option'
),

typed as (
    select
        r.symbol as instrument,
        cast(coalesce({{ epoch_ms_to_ts('venue_time_ms') }}, fetched_at) as timestamptz) as observed_at,
        try_cast(nullif(r.markPrice, '') as double) as mark_price_usd,
        try_cast(nullif(r.markIv, '') as double) as mark_iv,
        try_cast(nullif(r.indexPrice, '') as double) as index_price,
        try_cast(nullif(r.underlyingPrice, '') as double) as underlying_price,
        try_cast(nullif(r.openInterest, '') as double) as open_interest_coin,
        try_cast(nullif(r.volume24h, '') as double) as volume_coin,
        try_cast(nullif(r.turnover24h, '') as double) as volume_usd,
        -- An empty side of the book is "0" on Bybit: no quote, not a zero price.
        try_cast(nullif(nullif(r.bid1Price, ''), '0') as double) as bid_price_usd,
        try_cast(nullif(nullif(r.ask1Price, ''), '0') as double) as ask_price_usd,
        try_cast(nullif(nullif(r.bid1Iv, ''), '0') as double) as bid_iv,
        try_cast(nullif(nullif(r.ask1Iv, ''), '0') as double) as ask_iv,
        try_cast(nullif(r.delta, '') as double) as delta,
        try_cast(nullif(r.gamma, '') as double) as gamma,
        try_cast(nullif(r.vega, '') as double) as vega,
        try_cast(nullif(r.theta, '') as double) as theta,
        -- From the symbol: expiry code (6JAN23, 27DEC24), strike, C/P.
        timezone('UTC', try_strptime(split_part(r.symbol, '-', 2), '%d%b%y') + interval 8 hour) as symbol_expiry_at,
        try_cast(split_part(r.symbol, '-', 3) as double) as symbol_strike,
        case split_part(r.symbol, '-', 4) when 'C' then 'call' when 'P' then 'put' end as symbol_option_type,
        fetched_at,
        data_mode
    from records
    where r.symbol is not null
),

deduplicated as (
    -- The same answer stored in two partitions is one observation: keep the latest fetch.
    select *
    from typed
    qualify row_number() over (partition by instrument, observed_at order by fetched_at desc) = 1
)

select
    cast('bybit' as varchar) as exchange,
    cast({{ bybit_asset('deduplicated.instrument') }} as varchar) as asset,
    cast(deduplicated.instrument as varchar) as instrument,
    deduplicated.observed_at,
    cast(coalesce(instruments.expiry_at, symbol_expiry_at) as timestamptz) as expiry_at,
    cast(coalesce(instruments.strike, symbol_strike) as double) as strike,
    cast(coalesce(instruments.option_type, symbol_option_type) as varchar) as option_type,
    open_interest_coin,
    -- Notional at the spot index (Bybit's indexPrice); the forward (underlyingPrice) only when it is missing.
    cast(open_interest_coin * coalesce(index_price, underlying_price) as double) as open_interest_usd,
    volume_coin,
    volume_usd,
    mark_price_usd,
    mark_iv,
    underlying_price,
    delta,
    gamma,
    vega,
    theta,
    cast(deduplicated.data_mode as varchar) as data_mode,
    index_price,
    bid_price_usd,
    ask_price_usd,
    bid_iv,
    ask_iv,
    deduplicated.fetched_at
from deduplicated
left join {{ ref('stg_bybit__instruments') }} as instruments
    on instruments.instrument = deduplicated.instrument and instruments.kind = 'option'
