"""Binance candles and 24 h tickers for every host, built from flow.candles of the market perpetual.

- Perpetuals use flow's candles as they are. Dated futures and spot follow their perpetual: prices are
  moved to the contract's own level (future fair price, or the index for spot) at each candle's open
  and close, and volumes are a fixed share of the perpetual's.
- The candle still open at `now` is built from closed sub-candles (hours, then 5 m, then 1 m) plus the
  running minute, so it never shows a price from after `now` and grows between calls like Binance's.
- Paging follows Binance: ascending; `startTime` alone gives `limit` candles from the first open time
  at or after it, `endTime` alone the `limit` candles up to the one open at it, neither the latest
  `limit` (the open candle last).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web

from simulator import flow
from simulator.context import SimContext
from simulator.venues.binance_common import (
    VENUE,
    Contract,
    contract_price,
    contracts_of,
    err,
    fmt,
    from_ms,
    limit_param,
    listed_since,
    mandatory,
    ms,
    price_decimals,
    qty_decimals,
    time_params,
)

MINUTE = timedelta(minutes=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MONDAY = datetime(1970, 1, 5, tzinfo=UTC)  # weekly candles open on Mondays 00:00 UTC

# Interval -> minutes; "1M" (calendar month) has no fixed length.
INTERVALS = {
    "1m": 1,
    "3m": 3,
    "5m": 5,
    "15m": 15,
    "30m": 30,
    "1h": 60,
    "2h": 120,
    "4h": 240,
    "6h": 360,
    "8h": 480,
    "12h": 720,
    "1d": 1440,
    "3d": 4320,
    "1w": 10080,
    "1M": 0,
}

# A dated contract or a spot pair trades this share of its perpetual's volume.
VOLUME_SHARE = {"perp": 1.0, "delivery": 0.03, "spot": 0.4}


@dataclass(frozen=True)
class Bar:
    """A candle in contract prices; volumes in base coin and in quote (USD / USDT)."""

    open_time: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float
    quote_volume: float
    taker_volume: float
    taker_quote_volume: float
    trades: int


# --- closed candles --------------------------------------------------------------------------------
def _from_candle(ctx: SimContext, c: Contract, k: flow.Candle, minutes: int) -> Bar:
    """A flow candle of the perpetual, moved to the contract's price level and volume share."""
    o, h, lo, cl = k.open, k.high, k.low, k.close
    if c.kind != "perp":
        close_time = k.open_time + timedelta(minutes=minutes)
        m = ctx.market
        f_open = contract_price(ctx, c, k.open_time) / m.mark_price(VENUE, c.perp, k.open_time)
        f_close = contract_price(ctx, c, close_time) / m.mark_price(VENUE, c.perp, close_time)
        o, cl, h, lo = o * f_open, cl * f_close, h * max(f_open, f_close), lo * min(f_open, f_close)
    share = VOLUME_SHARE[c.kind]
    typical = (o + h + lo + cl) / 4  # quote volume at the candle's typical price
    return Bar(
        k.open_time,
        o,
        h,
        lo,
        cl,
        k.volume * share,
        k.volume * share * typical,
        k.taker_buy_volume * share,
        k.taker_buy_volume * share * typical,
        max(1, int(k.trades * share)),
    )


def closed_bars(ctx: SimContext, c: Contract, minutes: int, start: datetime, end: datetime) -> list[Bar]:
    """Closed candles of a fixed length with open time in [start, end); `start` on a candle boundary."""
    if end <= start:
        return []
    return [_from_candle(ctx, c, k, minutes) for k in flow.candles(ctx.market, VENUE, c.perp, minutes, start, end)]


def aggregate(bars: list[Bar], open_time: datetime) -> Bar:
    """One candle from consecutive ones (a running candle from its pieces, a month from its days)."""
    return Bar(
        open_time,
        bars[0].open,
        max(b.high for b in bars),
        min(b.low for b in bars),
        bars[-1].close,
        sum(b.volume for b in bars),
        sum(b.quote_volume for b in bars),
        sum(b.taker_volume for b in bars),
        sum(b.taker_quote_volume for b in bars),
        sum(b.trades for b in bars),
    )


def _floor(t: datetime, minutes: int) -> datetime:
    step = timedelta(minutes=minutes)
    return EPOCH + ((t - EPOCH) // step) * step


def _ceil(t: datetime, minutes: int) -> datetime:
    floor = _floor(t, minutes)
    return floor if floor == t else floor + timedelta(minutes=minutes)


def _segments(start: datetime, now: datetime) -> list[tuple[int, datetime, datetime]]:
    """Cover [start, now) with few closed candles: 1 m and 5 m up to an hour boundary, whole hours,
    then 5 m and 1 m back down; what is left (under a minute) is the running tail."""
    out, t = [], start
    for size, boundary in ((1, 5), (5, 60)):
        stop = min(_ceil(t, boundary), _floor(now, size))
        if stop > t:
            out.append((size, t, stop))
            t = stop
    for size in (60, 5, 1):
        stop = _floor(now, size)
        if stop > t and _floor(t, size) == t:
            out.append((size, t, stop))
            t = stop
    return out


def running_bar(ctx: SimContext, c: Contract, start: datetime, now: datetime) -> Bar | None:
    """The candle from `start` (minute-aligned) to `now`, from closed pieces plus the running minute."""
    pieces: list[Bar] = []
    t = start
    for size, a, b in _segments(start, now):
        pieces.extend(closed_bars(ctx, c, size, a, b))
        t = b
    if now > t:
        minute = closed_bars(ctx, c, 1, t, t + MINUTE)
        if minute:
            frac = (now - t) / MINUTE
            last = contract_price(ctx, c, now)
            k = minute[0]
            pieces.append(
                Bar(
                    t,
                    k.open,
                    max(k.open, last),
                    min(k.open, last),
                    last,
                    k.volume * frac,
                    k.quote_volume * frac,
                    k.taker_volume * frac,
                    k.taker_quote_volume * frac,
                    int(k.trades * frac),
                )
            )
    return aggregate(pieces, start) if pieces else None


# --- interval arithmetic ---------------------------------------------------------------------------
def open_at_or_before(t: datetime, interval: str) -> datetime:
    """Open time of the candle that contains `t`."""
    minutes = INTERVALS[interval]
    if interval == "1M":
        return t.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if interval == "1w":
        return MONDAY + ((t - MONDAY) // timedelta(weeks=1)) * timedelta(weeks=1)
    return _floor(t, minutes)


def next_open(t: datetime, interval: str) -> datetime:
    if interval == "1M":
        return (t.replace(day=1) + timedelta(days=32)).replace(day=1)
    return t + timedelta(minutes=INTERVALS[interval])


def _open_times(first: datetime, last: datetime, interval: str, limit: int, backwards: bool) -> list[datetime]:
    """Up to `limit` candle open times in [first, last], taken from the end when `backwards`."""
    if backwards:
        out, t = [], last
        while t >= first and len(out) < limit:
            out.append(t)
            t = open_at_or_before(t - MINUTE, interval)
        return out[::-1]
    out, t = [], first
    while t <= last and len(out) < limit:
        out.append(t)
        t = next_open(t, interval)
    return out


def bars_at(ctx: SimContext, c: Contract, interval: str, opens: list[datetime], now: datetime) -> list[Bar]:
    """The candles opening at `opens` (ascending); the last may still be running at `now`."""
    if not opens:
        return []
    closed = [t for t in opens if next_open(t, interval) <= now]
    out: list[Bar] = []
    if closed and interval == "1M":
        for t in closed:
            days = closed_bars(ctx, c, 1440, t, next_open(t, interval))
            if days:
                out.append(aggregate(days, t))
    elif closed:
        by_open = {b.open_time: b for b in closed_bars(ctx, c, INTERVALS[interval], closed[0], closed[-1] + MINUTE)}
        out.extend(by_open[t] for t in closed if t in by_open)
    if opens[-1] not in closed:
        running = running_bar(ctx, c, opens[-1], now)
        if running is not None:
            out.append(running)
    return out


def select_bars(ctx: SimContext, c: Contract, request: web.Request, max_limit: int, capped: bool) -> list[Bar]:
    """Validate interval/limit/startTime/endTime like Binance and return the requested candles.
    fapi/dapi refuse a limit above the maximum; spot caps it (`capped`, an informed guess)."""
    interval = mandatory(request, "interval")
    if interval not in INTERVALS:
        raise err(-1120, "Invalid interval.")
    if capped:
        raw = limit_param(request, 500, 10**9)
        limit = min(raw, max_limit)
    else:
        limit = limit_param(request, 500, max_limit)
    start_ms, end_ms = time_params(request)
    now = ctx.clock.now()
    current = open_at_or_before(now, interval)
    listed = listed_since(ctx, c)
    earliest = open_at_or_before(listed, interval)
    if earliest < listed:
        earliest = next_open(earliest, interval)
    last = current if end_ms is None else min(current, open_at_or_before(from_ms(end_ms), interval))
    if start_ms is None:
        opens = _open_times(earliest, last, interval, limit, backwards=True)
    else:
        first = open_at_or_before(from_ms(start_ms), interval)
        if first < from_ms(start_ms):
            first = next_open(first, interval)
        opens = _open_times(max(first, earliest), last, interval, limit, backwards=False)
    return bars_at(ctx, c, interval, opens, now)


def close_ms(bar: Bar, interval: str) -> int:
    return ms(next_open(bar.open_time, interval)) - 1


# --- wire rows ---------------------------------------------------------------------------------------
def linear_row(ctx: SimContext, c: Contract, bar: Bar, interval: str) -> list:
    """USD-M and spot kline: 12 fields, prices/volumes as strings, times and trade count as ints."""
    p, q = price_decimals(ctx, c), qty_decimals(ctx, c)
    qq = 8 if c.kind == "spot" else p + q  # quote volume keeps price x quantity decimals
    return [
        ms(bar.open_time),
        fmt(bar.open, p),
        fmt(bar.high, p),
        fmt(bar.low, p),
        fmt(bar.close, p),
        fmt(bar.volume, q),
        close_ms(bar, interval),
        fmt(bar.quote_volume, qq),
        bar.trades,
        fmt(bar.taker_volume, q),
        fmt(bar.taker_quote_volume, qq),
        "0",
    ]


def inverse_row(ctx: SimContext, c: Contract, bar: Bar, interval: str) -> list:
    """COIN-M kline: volume and taker volume in contracts, then the same in base coin."""
    p = price_decimals(ctx, c)
    return [
        ms(bar.open_time),
        fmt(bar.open, p),
        fmt(bar.high, p),
        fmt(bar.low, p),
        fmt(bar.close, p),
        str(round(bar.quote_volume / c.contract_size)),
        close_ms(bar, interval),
        fmt(bar.volume, 8),
        bar.trades,
        str(round(bar.taker_quote_volume / c.contract_size)),
        fmt(bar.taker_volume, 8),
        "0",
    ]


def day_bar(ctx: SimContext, c: Contract) -> tuple[Bar, datetime, datetime] | None:
    """The rolling 24 h window ending now (Binance's 24hr ticker), with its open and close instants."""
    now = ctx.clock.now()
    start = max(now - timedelta(days=1), ctx.market.start).replace(second=0, microsecond=0)
    bar = running_bar(ctx, c, start, now)
    return (bar, now - timedelta(days=1), now) if bar is not None else None


def ticker_24hr(ctx: SimContext, c: Contract) -> dict:
    """24 h statistics over the rolling window ending now. COIN-M adds `pair`, counts `volume` in
    contracts and sends `baseVolume` (coin) where USD-M sends `quoteVolume`."""
    window = day_bar(ctx, c)
    if window is None:
        return {}
    bar, opened, now = window
    p, q = price_decimals(ctx, c), qty_decimals(ctx, c)
    change = bar.close - bar.open
    trade_qty = bar.volume / max(bar.trades, 1)
    if c.inverse:
        head = {"symbol": c.symbol, "pair": c.pair}
        last_qty = str(max(1, contracts_of(c, trade_qty, bar.close)))
        volumes = {"volume": str(round(bar.quote_volume / c.contract_size)), "baseVolume": fmt(bar.volume, 8)}
    else:
        head = {"symbol": c.symbol}
        last_qty = fmt(max(trade_qty, 10**-q), q)
        volumes = {"volume": fmt(bar.volume, q), "quoteVolume": fmt(bar.quote_volume, p + q)}
    # Trade ids grow with time at the current trade rate: monotonic enough for a parser, no history kept.
    last_id = int((now - ctx.market.start).total_seconds() * bar.trades / 86400) + bar.trades
    return {
        **head,
        "priceChange": fmt(change, p),
        "priceChangePercent": fmt(100 * change / bar.open, 3),
        "weightedAvgPrice": fmt(bar.quote_volume / bar.volume if bar.volume else bar.close, p),
        "lastPrice": fmt(bar.close, p),
        "lastQty": last_qty,
        "openPrice": fmt(bar.open, p),
        "highPrice": fmt(bar.high, p),
        "lowPrice": fmt(bar.low, p),
        **volumes,
        "openTime": ms(opened),
        "closeTime": ms(now),
        "firstId": last_id - bar.trades + 1,
        "lastId": last_id,
        "count": bar.trades,
    }
