-- One row per Deribit option per chain snapshot (instrument, observed_at), from get_book_summary_by_currency
-- (kind=option). observed_at is the snapshot's fetch time, one instant per response, so a chain groups on it
-- (the rows' own creation_timestamp differs by milliseconds within one answer).
-- Units: BTC and ETH options are inverse, priced in the coin (mark_price 0.0123 BTC), so USD = coin price x
-- the index (Deribit converts premiums at the index, not at the expiry's forward `underlying_price`); USDC
-- options (SOL_USDC-...) are linear and already priced in USDC. mark_iv comes in percent. open_interest and
-- volume are in the base coin for both (one contract = one coin). Greeks are not in the book summary: they
-- stay null unless the record carries them (public/ticker records have the same field names plus `greeks`
-- and `stats.volume`, so ticker answers parse here too).
with responses as (
    select payload, fetched_at, data_mode
    from {{ source('deribit', 'book_summary_options') }}
    where http_status = 200 and json_valid(payload)
),

records as (
    select
        unnest(from_json(payload, '{"result":[{"instrument_name":"VARCHAR","base_currency":"VARCHAR","quote_currency":"VARCHAR","mark_price":"DOUBLE","mark_iv":"DOUBLE","bid_price":"DOUBLE","ask_price":"DOUBLE","open_interest":"DOUBLE","volume":"DOUBLE","volume_usd":"DOUBLE","underlying_price":"DOUBLE","underlying_index":"VARCHAR","index_price":"DOUBLE","estimated_delivery_price":"DOUBLE","interest_rate":"DOUBLE","creation_timestamp":"BIGINT","timestamp":"BIGINT","stats":{"volume":"DOUBLE","volume_usd":"DOUBLE"},"greeks":{"delta":"DOUBLE","gamma":"DOUBLE","vega":"DOUBLE","theta":"DOUBLE","rho":"DOUBLE"}}]}').result) as r,
        fetched_at,
        data_mode
    from responses
),

parsed as (
    select
        r.instrument_name as instrument,
        {{ deribit_option_parts('r.instrument_name') }} as parts,
        -- Linear USDC options quote in USDC; inverse ones in their coin (older answers omit quote_currency).
        coalesce(r.quote_currency in ('USDC', 'USD', 'USDT'), r.instrument_name like '%\_USD_-%' escape '\')
            as is_linear,
        r.mark_price,
        r.mark_iv,
        r.bid_price,
        r.ask_price,
        r.open_interest,
        coalesce(r.volume, r.stats.volume) as volume,
        coalesce(r.volume_usd, r.stats.volume_usd) as venue_volume_usd,
        r.underlying_price,
        r.underlying_index,
        -- The book summary has no index_price field: its estimated_delivery_price is the index.
        coalesce(r.index_price, r.estimated_delivery_price) as index_price,
        r.interest_rate,
        r.greeks,
        {{ epoch_ms_to_ts('coalesce(r.timestamp, r.creation_timestamp)') }} as venue_at,
        fetched_at,
        data_mode
    from records
    where r.instrument_name is not null
),

typed as (
    select
        *,
        {{ deribit_asset('instrument') }} as asset,
        {{ deribit_expiry("nullif(parts.expiry_code, '')") }} as expiry_at,
        {{ deribit_strike("nullif(parts.strike_code, '')") }} as strike,
        case parts.cp when 'C' then 'call' when 'P' then 'put' end as option_type,
        -- The coin's USD price: the index (the forward only when an answer lacks the index).
        coalesce(index_price, underlying_price) as coin_usd
    from parsed
    -- Combos (BTC-FS-..., BTC-CS-...) and anything not named like a single option are left out.
    where parts.cp <> ''
)

select
    'deribit' as exchange,
    asset,
    instrument,
    fetched_at as observed_at,
    expiry_at,
    strike,
    option_type,
    open_interest as open_interest_coin,
    open_interest * coin_usd as open_interest_usd,
    volume as volume_coin,
    coalesce(venue_volume_usd, volume * coin_usd) as volume_usd,
    case when is_linear then mark_price else mark_price * coin_usd end as mark_price_usd,
    mark_iv / 100.0 as mark_iv,
    underlying_price,
    greeks.delta as delta,
    greeks.gamma as gamma,
    greeks.vega as vega,
    greeks.theta as theta,
    data_mode,
    -- Venue fields kept as received (prices in the quote currency: coin for inverse, USDC for linear).
    mark_price as mark_price_quote,
    case when is_linear then 'USDC' else asset end as price_currency,
    case when is_linear then bid_price else bid_price * coin_usd end as bid_price_usd,
    case when is_linear then ask_price else ask_price * coin_usd end as ask_price_usd,
    index_price,
    underlying_index,
    interest_rate,
    greeks.rho as rho,
    venue_at,
    fetched_at
from typed
qualify row_number() over (partition by instrument, fetched_at order by venue_at desc nulls last) = 1
