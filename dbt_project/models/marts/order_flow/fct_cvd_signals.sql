-- Cumulative volume delta per asset, one row per (asset, hour_at) of the price spine: the hour's taker buy
-- minus sell volume summed over the venues that publish it, the running CVD since the first hour in the
-- warehouse, and the CVD divergence of SPEC section 4: price makes a new 7-day high while CVD is below its
-- value at the previous 7-day price high (bearish: the rally is not bought by takers); mirror at lows
-- (bullish). Rebuilt as a table: the running sum needs all history, and hourly per asset is small.
with flow as (
    select asset, hour_at, sum(taker_buy_coin) as taker_buy_coin, sum(taker_sell_coin) as taker_sell_coin
    from {{ ref('fct_order_flow_hourly') }}
    group by asset, hour_at
),

hours as (
    select
        p.asset,
        p.hour_at,
        p.close,
        f.taker_buy_coin,
        f.taker_sell_coin,
        coalesce(f.taker_buy_coin - f.taker_sell_coin, 0) as delta_coin,
        sum(coalesce(f.taker_buy_coin - f.taker_sell_coin, 0)) over (
            partition by p.asset order by p.hour_at rows unbounded preceding
        ) as cvd_coin
    from {{ ref('int_price_spine') }} as p
    left join flow as f using (asset, hour_at)
),

extremes as (
    select
        *,
        count(close) over w as prior_hours,
        max(close) over w as prior_high,
        min(close) over w as prior_low,
        -- The latest hour of the highest (lowest) close when several hours tie.
        arg_max(hour_at, {'close': close, 'hour_at': hour_at}) over w as prior_high_at,
        arg_max(hour_at, {'neg_close': -close, 'hour_at': hour_at}) over w as prior_low_at
    from hours
    window w as (
        partition by asset order by hour_at range between interval 168 hour preceding and interval 1 hour preceding
    )
)

select
    e.asset,
    e.hour_at,
    e.close,
    e.taker_buy_coin,
    e.taker_sell_coin,
    e.delta_coin,
    e.cvd_coin,
    e.prior_hours = 168 and e.close > e.prior_high as is_new_high_7d,
    e.prior_hours = 168 and e.close < e.prior_low as is_new_low_7d,
    case
        when e.prior_hours = 168 and e.close > e.prior_high and e.cvd_coin < at_high.cvd_coin then 'bearish'
        when e.prior_hours = 168 and e.close < e.prior_low and e.cvd_coin > at_low.cvd_coin then 'bullish'
    end as cvd_divergence
from extremes as e
left join hours as at_high on at_high.asset = e.asset and at_high.hour_at = e.prior_high_at
left join hours as at_low on at_low.asset = e.asset and at_low.hour_at = e.prior_low_at
