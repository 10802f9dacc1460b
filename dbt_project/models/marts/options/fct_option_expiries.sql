-- Per-expiry option statistics, one row per (exchange, asset, observed_at, expiry_at): call/put open interest
-- and 24 h volume, the put/call ratios, max pain, ATM IV and the 25-delta skew of each expiry in each chain
-- snapshot. Built from fct_option_chain so that the chain's cleaning (days to expiry, moneyness) is shared;
-- incremental on the partition window like the chain (every snapshot's expiries are independent of others).
--
-- Max pain is the settlement price, among the strikes listed for the expiry, at which option holders would be
-- paid least: sum over calls OI x max(0, K - strike) + sum over puts OI x max(0, strike - K) (OI in coin, so
-- the payout is in USD); ties go to the lower strike. ATM IV is the mean mark IV of the call and the put at the
-- strike nearest the expiry's underlying (the venue's forward). The 25-delta skew interpolates IV linearly in
-- delta between the two options bracketing +0.25 (calls) and -0.25 (puts); null when the venue sends no greeks.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['exchange', 'asset', 'observed_at'],
        on_schema_change='fail',
        pre_hook=[
            "{{ delete_window_rows('observed_at') }}",
        ],
    )
}}

with observations as (
    select
        exchange,
        asset,
        instrument,
        observed_at,
        date_trunc('hour', observed_at) as snapshot_hour,
        expiry_at,
        strike,
        option_type,
        open_interest_coin,
        open_interest_usd,
        volume_coin,
        volume_usd,
        mark_iv,
        underlying_price,
        delta,
        data_mode
    from {{ ref('fct_option_chain') }}
    where expiry_at is not null and strike is not null and option_type in ('call', 'put')
    {% if is_incremental() %}
      and {{ in_window('observed_at') }}
    {% endif %}
    qualify row_number() over (
        partition by exchange, instrument, date_trunc('hour', observed_at) order by observed_at desc
    ) = 1
),

chain as (
    -- One chain per venue, asset and hour: chains are snapshotted hourly, and a venue may stamp each option
    -- with its own time (OKX's ts), so the snapshot is the hour's latest observation of every option,
    -- stamped with the latest time among them.
    select
        * exclude (observed_at, snapshot_hour),
        max(observed_at) over (partition by exchange, asset, snapshot_hour) as observed_at
    from observations
),

totals as (
    -- A side with no contracts counts as 0 once the venue reports the measure for the expiry at all (so a
    -- chain with calls only has a put/call ratio of 0), and stays null when the venue does not report it.
    select
        exchange,
        asset,
        observed_at,
        expiry_at,
        {{ options_days_between('observed_at', 'expiry_at') }} as days_to_expiry,
        avg(underlying_price) as underlying_price,
        cast(count(distinct strike) as integer) as strike_count,
        sum(case when option_type = 'call' then open_interest_coin when open_interest_coin is not null then 0 end)
            as call_oi_coin,
        sum(case when option_type = 'put' then open_interest_coin when open_interest_coin is not null then 0 end)
            as put_oi_coin,
        sum(case when option_type = 'call' then open_interest_usd when open_interest_usd is not null then 0 end)
            as call_oi_usd,
        sum(case when option_type = 'put' then open_interest_usd when open_interest_usd is not null then 0 end)
            as put_oi_usd,
        sum(case when option_type = 'call' then volume_coin when volume_coin is not null then 0 end)
            as call_volume_coin,
        sum(case when option_type = 'put' then volume_coin when volume_coin is not null then 0 end)
            as put_volume_coin,
        sum(case when option_type = 'call' then volume_usd when volume_usd is not null then 0 end)
            as call_volume_usd,
        sum(case when option_type = 'put' then volume_usd when volume_usd is not null then 0 end)
            as put_volume_usd,
        max(data_mode) as data_mode
    from chain
    group by exchange, asset, observed_at, expiry_at
),

listed_strikes as (
    select distinct exchange, asset, observed_at, expiry_at, strike
    from chain
),

payouts as (
    -- Every listed strike as a candidate settlement price K against every option of the same expiry.
    select
        k.exchange,
        k.asset,
        k.observed_at,
        k.expiry_at,
        k.strike as settlement_strike,
        sum(
            case
                when c.option_type = 'call' then coalesce(c.open_interest_coin, 0) * greatest(k.strike - c.strike, 0)
                else coalesce(c.open_interest_coin, 0) * greatest(c.strike - k.strike, 0)
            end
        ) as total_payout_usd
    from listed_strikes as k
    inner join chain as c
        on c.exchange = k.exchange
        and c.asset = k.asset
        and c.observed_at = k.observed_at
        and c.expiry_at = k.expiry_at
    group by k.exchange, k.asset, k.observed_at, k.expiry_at, k.strike
),

max_pain as (
    select exchange, asset, observed_at, expiry_at, settlement_strike as max_pain_strike, total_payout_usd
    from payouts
    -- Payouts are sums of doubles in no fixed order, so an exact tie can differ in the last bits: compare
    -- them to the micro-dollar so that ties really go to the lower strike.
    qualify row_number() over (
        partition by exchange, asset, observed_at, expiry_at
        order by round(total_payout_usd, 6), settlement_strike
    ) = 1
),

atm_strike as (
    -- The strike nearest the expiry's underlying among strikes that carry an IV (ties: the lower strike).
    select c.exchange, c.asset, c.observed_at, c.expiry_at, c.strike
    from chain as c
    inner join totals as t
        on c.exchange = t.exchange
        and c.asset = t.asset
        and c.observed_at = t.observed_at
        and c.expiry_at = t.expiry_at
    where c.mark_iv is not null
    qualify row_number() over (
        partition by c.exchange, c.asset, c.observed_at, c.expiry_at
        order by abs(c.strike - t.underlying_price), c.strike
    ) = 1
),

atm as (
    select a.exchange, a.asset, a.observed_at, a.expiry_at, a.strike as atm_strike, avg(c.mark_iv) as atm_iv
    from atm_strike as a
    inner join chain as c
        on c.exchange = a.exchange
        and c.asset = a.asset
        and c.observed_at = a.observed_at
        and c.expiry_at = a.expiry_at
        and c.strike = a.strike
    where c.mark_iv is not null
    group by a.exchange, a.asset, a.observed_at, a.expiry_at, a.strike
),

delta_brackets as (
    -- For each side, the option just below and just above the target delta (calls +0.25, puts -0.25).
    select
        exchange,
        asset,
        observed_at,
        expiry_at,
        max(delta) filter (where option_type = 'call' and delta <= 0.25) as call_delta_lo,
        arg_max(mark_iv, delta) filter (where option_type = 'call' and delta <= 0.25) as call_iv_lo,
        min(delta) filter (where option_type = 'call' and delta >= 0.25) as call_delta_hi,
        arg_min(mark_iv, delta) filter (where option_type = 'call' and delta >= 0.25) as call_iv_hi,
        max(delta) filter (where option_type = 'put' and delta <= -0.25) as put_delta_lo,
        arg_max(mark_iv, delta) filter (where option_type = 'put' and delta <= -0.25) as put_iv_lo,
        min(delta) filter (where option_type = 'put' and delta >= -0.25) as put_delta_hi,
        arg_min(mark_iv, delta) filter (where option_type = 'put' and delta >= -0.25) as put_iv_hi
    from chain
    where delta is not null and mark_iv is not null
    group by exchange, asset, observed_at, expiry_at
),

skew as (
    select
        exchange,
        asset,
        observed_at,
        expiry_at,
        case
            when call_delta_hi = call_delta_lo then call_iv_lo
            else call_iv_lo + (call_iv_hi - call_iv_lo) * (0.25 - call_delta_lo) / (call_delta_hi - call_delta_lo)
        end as call_iv_25d,
        case
            when put_delta_hi = put_delta_lo then put_iv_lo
            else put_iv_lo + (put_iv_hi - put_iv_lo) * (-0.25 - put_delta_lo) / (put_delta_hi - put_delta_lo)
        end as put_iv_25d
    from delta_brackets
)

select
    t.exchange,
    t.asset,
    t.observed_at,
    t.expiry_at,
    t.days_to_expiry,
    t.underlying_price,
    t.strike_count,
    t.call_oi_coin,
    t.put_oi_coin,
    t.call_oi_usd,
    t.put_oi_usd,
    t.put_oi_coin / nullif(t.call_oi_coin, 0) as pcr_oi,
    t.call_volume_coin,
    t.put_volume_coin,
    t.call_volume_usd,
    t.put_volume_usd,
    t.put_volume_coin / nullif(t.call_volume_coin, 0) as pcr_volume,
    -- Without open interest every strike pays nothing, so there is no max pain to speak of.
    case when coalesce(t.call_oi_coin, 0) + coalesce(t.put_oi_coin, 0) > 0 then mp.max_pain_strike end
        as max_pain_strike,
    case when coalesce(t.call_oi_coin, 0) + coalesce(t.put_oi_coin, 0) > 0 then mp.total_payout_usd end
        as max_pain_payout_usd,
    atm.atm_strike,
    atm.atm_iv,
    s.call_iv_25d,
    s.put_iv_25d,
    s.put_iv_25d - s.call_iv_25d as skew_25d,
    t.data_mode
from totals as t
left join max_pain as mp
    on mp.exchange = t.exchange and mp.asset = t.asset and mp.observed_at = t.observed_at and mp.expiry_at = t.expiry_at
left join atm
    on atm.exchange = t.exchange and atm.asset = t.asset and atm.observed_at = t.observed_at
    and atm.expiry_at = t.expiry_at
left join skew as s
    on s.exchange = t.exchange and s.asset = t.asset and s.observed_at = t.observed_at and s.expiry_at = t.expiry_at
