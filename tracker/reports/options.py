"""`options ASSET [ASSET ...] [--pcr | --expiry DATE|friday|month|quarter | --flow]`: the skill card's options report.

Every view reads each venue's newest option chain snapshot at or before the as-of (marts.fct_option_summary and
marts.fct_option_expiries share the snapshot's observed_at), Deribit first, then OKX and Bybit. Views:
  overview (default)  per venue: put/call ratio by OI and by volume, total OI, 30-day ATM IV, DVOL, IV rank and
                      percentile with the card's reading (rank > 80 options expensive, < 20 cheap), nearest
                      expiry and its max pain.
  --pcr               put/call ratio per expiry (by OI and by 24 h volume) and overall, per venue and combined.
  --expiry X          one expiry in detail: max pain and its distance from the underlying, PCR, ATM IV, 25-delta
                      skew, call/put OI. X is a date (2026-12-25) or a word: friday (the next Friday expiry),
                      month (the first listed last-Friday-of-a-month expiry: this month's, or the next once it
                      has passed), quarter (the first listed last Friday of Mar/Jun/Sep/Dec). Words and dates
                      resolve against the expiries the venues list in those snapshots.
  --flow              large and block trades (marts.fct_option_flow) in the 24 hours up to the as-of (or, without
                      --as-of, up to the newest option trade), newest first, with totals.

JSON shape (schema_version 1; the envelope of tracker/reports/common.py). Ratios are plain numbers, IVs and
ranks are percent numbers (keys ending in _pct: 45.0 = 45 %), prices and OI in USD or coin as the key says:
{
  "report": "options", "schema_version": 1, ...envelope...,
  "view": "overview" | "pcr" | "expiry" | "flow",
  "expiry_requested": str | null (--expiry as typed),
  "flow_window_hours": 24 | null, "flow_min_notional_usd": float | null (--flow only),
  "assets": [{
    "asset": str, "as_of": ISO-8601 UTC, "stale": bool, "stale_venues": [str], "venue_last_data_at": {...},
    (venue_last_data_at holds each venue's chain snapshot time; for --flow, its newest option trade)
    overview: "venues": [{"exchange", "observed_at", "expiry_count", "pcr_oi", "pcr_volume", "total_oi_usd",
                "atm_iv_30d_pct", "dvol_pct", "iv_rank_basis": "dvol" | "atm_iv_30d" | null, "iv_rank_pct",
                "iv_percentile_pct", "iv_rank_observations", "iv_signal": "expensive" | "cheap" | "neutral" | null,
                "nearest_expiry_at", "nearest_max_pain_strike"}],
              "iv_view": {"exchange", "iv_rank_basis", "iv_rank_pct", "iv_rank_observations", "iv_signal",
                          "text"} | null (the first venue, Deribit first, with an IV rank)
    pcr:      "venues": [{"exchange", "observed_at",
                          "overall": {"pcr_oi", "pcr_volume", "call_oi_coin", "put_oi_coin", "call_volume_coin",
                                      "put_volume_coin"},
                          "expiries": [{"expiry_at", "days_to_expiry", "pcr_oi", "pcr_volume", "call_oi_coin",
                                        "put_oi_coin", "call_volume_coin", "put_volume_coin"}]}],
              "combined": {"pcr_oi", "pcr_volume", "call_oi_coin", "put_oi_coin", "call_volume_coin",
                           "put_volume_coin"} (sums over the venues, in coin)
    expiry:   "expiry_at", "expiry_rule": "date" | "friday" | "month" | "quarter", "listed_expiries": [ISO],
              "not_listed_on": [str],
              "venues": [{"exchange", "observed_at", "expiry_at", "days_to_expiry", "underlying_price",
                          "max_pain_strike", "max_pain_distance_pct" (max pain vs underlying, percent),
                          "max_pain_payout_usd", "pcr_oi", "pcr_volume", "atm_strike", "atm_iv_pct",
                          "call_iv_25d_pct", "put_iv_25d_pct", "skew_25d_pct" (put minus call, vol points),
                          "call_oi_coin", "put_oi_coin", "call_oi_usd", "put_oi_usd", "strike_count"}]
    flow:     "window_start", "window_end" (ISO-8601 UTC),
              "summary": {"trades", "block_trades", "notional_usd", "premium_usd", "buy_notional_usd",
                          "sell_notional_usd", "call_notional_usd", "put_notional_usd"} (every trade in the window),
              "trades": [{"traded_at", "exchange", "instrument", "expiry_at", "strike", "option_type", "side",
                          "amount_coin", "notional_usd", "premium_usd", "iv_pct", "flow_label"}] (newest first,
                          at most --limit)
    every view: "strike_oi": {"exchange", "observed_at", "expiry_at", "underlying_price", "max_pain_strike",
                              "strikes": [{"strike", "call_oi_coin", "put_oi_coin"}]} | null
              (open interest by strike of the chosen expiry, or the nearest one, on the first venue listing it;
               filled for --expiry and whenever --chart is given, else null)
  }]
}
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from tracker.errors import CliError
from tracker.freshness import allowed_lags
from tracker.query import Query, venue_name
from tracker.render import duration, table, utc
from tracker.reports.common import (
    asset_block,
    banner,
    check_assets,
    envelope,
    footer,
    iso,
    no_data,
    pct_value,
)
from tracker.store import fetch_dicts

HELP = "options overview: put/call ratios, IV rank, max pain per expiry, large and block trades"
ASSETS = "+"
CHART = True

VENUE_ORDER = ("deribit", "okx", "bybit")  # Deribit first (SPEC 4), then OKX and Bybit
IV_EXPENSIVE = 0.80  # IV rank above: options expensive, consider selling (the skill card)
IV_CHEAP = 0.20  # IV rank below: options cheap, consider buying
YOUNG_HISTORY = 30  # fewer look-back observations than this: the rank is said to rest on a young history
FLOW_WINDOW = timedelta(hours=24)
EXPIRY_WORDS = ("friday", "month", "quarter")
RULE_NAMES = {"friday": "next Friday expiry", "month": "monthly expiry", "quarter": "quarterly expiry"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def add_arguments(parser) -> None:
    views = parser.add_mutually_exclusive_group()
    views.add_argument("--pcr", action="store_true", help="put/call ratio per expiry (by OI and volume) and overall")
    views.add_argument(
        "--expiry",
        metavar="WHEN",
        help="one expiry in detail: a date (2026-12-25), friday (next Friday expiry), month or quarter",
    )
    views.add_argument("--flow", action="store_true", help="large and block trades of the last 24 hours")
    parser.add_argument(
        "--min-notional",
        metavar="USD",
        help="--flow: only trades of at least this notional in USD (e.g. 1000000 or 1m)",
    )
    parser.add_argument("--limit", metavar="N", help="--flow: at most N trades listed (default 20; totals use all)")


# ---------------------------------------------------------------------------------------------------- arguments


def _parse_usd(text: str) -> float:
    raw = text.strip().lower().replace(",", "").replace("_", "").lstrip("$")
    scale = {"k": 1e3, "m": 1e6, "b": 1e9}.get(raw[-1:] if raw else "", 1.0)
    if scale != 1.0:
        raw = raw[:-1]
    try:
        value = float(raw) * scale
    except ValueError:
        raise CliError(
            "ERR_BAD_ARGUMENT", f"--min-notional {text[:30]!r} is not an amount", "e.g. --min-notional 1000000 or 1m"
        ) from None
    if not (0 <= value < 1e13):
        raise CliError("ERR_BAD_ARGUMENT", f"--min-notional {text[:30]!r} is out of range", "use 0 to 1e12 USD")
    return value


def _parse_limit(text: str | None) -> int:
    if text is None:
        return 20
    try:
        value = int(text)
    except ValueError:
        raise CliError("ERR_BAD_ARGUMENT", f"--limit {text[:30]!r} is not a whole number", "e.g. --limit 50") from None
    if not 1 <= value <= 10_000:
        raise CliError("ERR_BAD_ARGUMENT", f"--limit {value} is out of range", "use 1 to 10000")
    return value


def _parse_expiry(text: str) -> tuple[str, date | None]:
    """(rule, date): rule is a word of EXPIRY_WORDS or 'date'."""
    raw = text.strip().lower()
    if raw in EXPIRY_WORDS:
        return raw, None
    hint = "use a date such as 2026-12-25, or friday (next Friday expiry), month or quarter"
    if not _DATE.match(raw):
        raise CliError("ERR_BAD_ARGUMENT", f"--expiry {text[:40]!r} is not a date or a known word", hint)
    try:
        return "date", date.fromisoformat(raw)
    except ValueError:
        raise CliError("ERR_BAD_ARGUMENT", f"--expiry {text[:40]!r} is not a valid date", hint) from None


def _is_last_friday(d: date) -> bool:
    return d.weekday() == 4 and (d + timedelta(days=7)).month != d.month


def _resolve_expiry(rule: str, wanted: date | None, listed: list[datetime], asset: str, q: Query) -> datetime:
    shown = ", ".join(f"{t:%Y-%m-%d}" for t in listed) or "none"
    if rule == "date":
        for t in listed:
            if t.astimezone(UTC).date() == wanted:
                return t
        raise CliError(
            "ERR_NO_DATA",
            f"no {asset} option expiry on {wanted.isoformat()} is listed"
            + (f" at or before {utc(q.as_of)}" if q.as_of else ""),
            f"listed expiries: {shown}",
        )
    tests = {
        "friday": lambda d: d.weekday() == 4,
        "month": _is_last_friday,
        "quarter": lambda d: _is_last_friday(d) and d.month in (3, 6, 9, 12),
    }
    for t in listed:
        if tests[rule](t.astimezone(UTC).date()):
            return t
    names = {"friday": "Friday", "month": "monthly (last Friday)", "quarter": "quarterly"}
    raise CliError("ERR_NO_DATA", f"no {names[rule]} {asset} option expiry is listed", f"listed expiries: {shown}")


# ---------------------------------------------------------------------------------------------------- queries


def _venue_key(exchange: str) -> tuple[int, str]:
    return (VENUE_ORDER.index(exchange) if exchange in VENUE_ORDER else len(VENUE_ORDER), exchange)


def _snapshots(q: Query, asset: str) -> list[dict]:
    """Each venue's newest fct_option_summary row at or before the as-of, Deribit first."""
    upto, upto_params = q.upto("observed_at")
    venues, venue_params = q.venues("exchange")
    rows = fetch_dicts(
        q.con,
        f"""
        with latest as (
            select exchange, max(observed_at) as observed_at
            from marts.fct_option_summary
            where asset = ?{upto}{venues}
            group by exchange
        )
        select s.*
        from marts.fct_option_summary as s
        inner join latest as l on l.exchange = s.exchange and l.observed_at = s.observed_at
        where s.asset = ?
        """,
        [asset, *upto_params, *venue_params, asset],
    )
    return sorted(rows, key=lambda r: _venue_key(r["exchange"]))


def _expiries(q: Query, asset: str, snaps: list[dict], exchange: str | None = None) -> list[dict]:
    """The live expiries (expiry after the snapshot) of those snapshots, ordered by venue then expiry."""
    chosen = [s for s in snaps if exchange is None or s["exchange"] == exchange]
    if not chosen:
        return []
    keys = " or ".join("(exchange = ? and observed_at = ?)" for _ in chosen)
    params = [asset]
    for s in chosen:
        params += [s["exchange"], s["observed_at"]]
    rows = fetch_dicts(
        q.con,
        f"select * from marts.fct_option_expiries where asset = ? and ({keys}) and expiry_at > observed_at",
        params,
    )
    return sorted(rows, key=lambda r: (_venue_key(r["exchange"]), r["expiry_at"]))


def _strike_oi(q: Query, asset: str, expiry: dict) -> dict:
    """Open interest by strike of one expiry in one venue's chain snapshot (the snapshot's hour, as the mart)."""
    observed_at = expiry["observed_at"]
    hour = observed_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    rows = q.con.execute(
        """
        select strike, option_type, arg_max(open_interest_coin, observed_at) as oi
        from marts.fct_option_chain
        where exchange = ? and asset = ? and expiry_at = ? and observed_at >= ? and observed_at <= ?
          and option_type in ('call', 'put') and strike is not null
        group by instrument, strike, option_type
        """,
        [expiry["exchange"], asset, expiry["expiry_at"], hour, observed_at],
    ).fetchall()
    by_strike: dict[float, dict] = {}
    for strike, option_type, oi in rows:
        entry = by_strike.setdefault(strike, {"strike": strike, "call_oi_coin": 0.0, "put_oi_coin": 0.0})
        entry[f"{option_type}_oi_coin"] += oi or 0.0
    return {
        "exchange": expiry["exchange"],
        "observed_at": iso(observed_at),
        "expiry_at": iso(expiry["expiry_at"]),
        "underlying_price": expiry["underlying_price"],
        "max_pain_strike": expiry["max_pain_strike"],
        "strikes": [by_strike[k] for k in sorted(by_strike)],
    }


# ---------------------------------------------------------------------------------------------------- build


def _iv_signal(rank: float | None) -> str | None:
    if rank is None:
        return None
    if rank > IV_EXPENSIVE:
        return "expensive"
    if rank < IV_CHEAP:
        return "cheap"
    return "neutral"


def _overview_venue(s: dict) -> dict:
    return {
        "exchange": s["exchange"],
        "observed_at": iso(s["observed_at"]),
        "expiry_count": s["expiry_count"],
        "pcr_oi": s["pcr_oi"],
        "pcr_volume": s["pcr_volume"],
        "total_oi_usd": s["total_oi_usd"],
        "atm_iv_30d_pct": pct_value(s["atm_iv_30d"]),
        "dvol_pct": pct_value(s["dvol"]),
        "iv_rank_basis": s["iv_rank_basis"],
        "iv_rank_pct": pct_value(s["iv_rank"]),
        "iv_percentile_pct": pct_value(s["iv_percentile"]),
        "iv_rank_observations": s["iv_rank_observations"],
        "iv_signal": _iv_signal(s["iv_rank"]),
        "nearest_expiry_at": iso(s["nearest_expiry_at"]),
        "nearest_max_pain_strike": s["nearest_max_pain_strike"],
    }


def _iv_view(venues: list[dict]) -> dict | None:
    v = next((v for v in venues if v["iv_rank_pct"] is not None), None)
    if v is None:
        return None
    basis = "DVOL" if v["iv_rank_basis"] == "dvol" else "30d ATM IV"
    young = v["iv_rank_observations"] < YOUNG_HISTORY
    reading = {
        "expensive": "options expensive, consider selling",
        "cheap": "options cheap, consider buying",
        "neutral": "neither rich nor cheap",
    }[v["iv_signal"]]
    text = (
        f"IV Rank {v['iv_rank_pct']:.1f}% ({venue_name(v['exchange'])} {basis}, "
        f"{v['iv_rank_observations']} obs{', young history' if young else ''}): {reading}"
    )
    return {
        "exchange": v["exchange"],
        "iv_rank_basis": v["iv_rank_basis"],
        "iv_rank_pct": v["iv_rank_pct"],
        "iv_rank_observations": v["iv_rank_observations"],
        "iv_signal": v["iv_signal"],
        "text": text,
    }


def _oi_fields(r: dict) -> dict:
    return {
        "pcr_oi": r["pcr_oi"],
        "pcr_volume": r["pcr_volume"],
        "call_oi_coin": r["call_oi_coin"],
        "put_oi_coin": r["put_oi_coin"],
        "call_volume_coin": r["call_volume_coin"],
        "put_volume_coin": r["put_volume_coin"],
    }


def _ratio(num: float | None, den: float | None) -> float | None:
    return None if num is None or not den else num / den


def _sum(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) if values else None


def _pcr_block(q: Query, asset: str, snaps: list[dict]) -> dict:
    expiries = _expiries(q, asset, snaps)
    venues = []
    for s in snaps:
        venues.append(
            {
                "exchange": s["exchange"],
                "observed_at": iso(s["observed_at"]),
                "overall": _oi_fields(s),
                "expiries": [
                    {"expiry_at": iso(e["expiry_at"]), "days_to_expiry": e["days_to_expiry"], **_oi_fields(e)}
                    for e in expiries
                    if e["exchange"] == s["exchange"]
                ],
            }
        )
    totals = {
        k: _sum(s[k] for s in snaps) for k in ("call_oi_coin", "put_oi_coin", "call_volume_coin", "put_volume_coin")
    }
    combined = {
        "pcr_oi": _ratio(totals["put_oi_coin"], totals["call_oi_coin"]),
        "pcr_volume": _ratio(totals["put_volume_coin"], totals["call_volume_coin"]),
        **totals,
    }
    return {"venues": venues, "combined": combined}


def _expiry_block(q: Query, asset: str, snaps: list[dict], rule: str, wanted: date | None) -> tuple[dict, dict]:
    expiries = _expiries(q, asset, snaps)
    listed = sorted({e["expiry_at"] for e in expiries})
    chosen = _resolve_expiry(rule, wanted, listed, asset, q)
    rows = [e for e in expiries if e["expiry_at"] == chosen]
    venues = []
    for e in rows:
        underlying, pain = e["underlying_price"], e["max_pain_strike"]
        venues.append(
            {
                "exchange": e["exchange"],
                "observed_at": iso(e["observed_at"]),
                "expiry_at": iso(e["expiry_at"]),
                "days_to_expiry": e["days_to_expiry"],
                "underlying_price": underlying,
                "max_pain_strike": pain,
                "max_pain_distance_pct": (
                    None if pain is None or not underlying else round((pain / underlying - 1) * 100, 6)
                ),
                "max_pain_payout_usd": e["max_pain_payout_usd"],
                "pcr_oi": e["pcr_oi"],
                "pcr_volume": e["pcr_volume"],
                "atm_strike": e["atm_strike"],
                "atm_iv_pct": pct_value(e["atm_iv"]),
                "call_iv_25d_pct": pct_value(e["call_iv_25d"]),
                "put_iv_25d_pct": pct_value(e["put_iv_25d"]),
                "skew_25d_pct": pct_value(e["skew_25d"]),
                "call_oi_coin": e["call_oi_coin"],
                "put_oi_coin": e["put_oi_coin"],
                "call_oi_usd": e["call_oi_usd"],
                "put_oi_usd": e["put_oi_usd"],
                "strike_count": e["strike_count"],
            }
        )
    listing = {e["exchange"] for e in rows}
    block = {
        "expiry_at": iso(chosen),
        "expiry_rule": rule,
        "listed_expiries": [iso(t) for t in listed],
        "not_listed_on": [s["exchange"] for s in snaps if s["exchange"] not in listing],
        "venues": venues,
    }
    return block, rows[0]


def _flow_block(
    q: Query, asset: str, min_notional: float | None, limit: int
) -> tuple[dict, dict[str, datetime], set[str]]:
    upto, upto_params = q.upto("traded_at")
    venues, venue_params = q.venues("exchange")
    latest = q.con.execute(
        f"select exchange, max(traded_at), max(data_mode) from marts.fct_option_flow where asset = ?{upto}{venues} "
        "group by exchange",
        [asset, *upto_params, *venue_params],
    ).fetchall()
    venue_times = {exchange: t for exchange, t, _ in latest if t is not None}
    modes = {mode for _, _, mode in latest if mode}
    if not venue_times:
        raise no_data(f"large or block option trades for {asset}", q)
    end = q.as_of or max(venue_times.values())
    start = end - FLOW_WINDOW
    size = "" if min_notional is None else " and notional_usd >= ?"
    params = [asset, start, end, *venue_params, *([] if min_notional is None else [min_notional])]
    where = f"asset = ? and traded_at > ? and traded_at <= ?{venues}{size}"
    totals = q.con.execute(
        f"""
        select count(*), count(*) filter (where is_block), sum(notional_usd), sum(premium_usd),
               sum(notional_usd) filter (where side = 'buy'), sum(notional_usd) filter (where side = 'sell'),
               sum(notional_usd) filter (where option_type = 'call'),
               sum(notional_usd) filter (where option_type = 'put')
        from marts.fct_option_flow where {where}
        """,
        params,
    ).fetchone()
    trades = fetch_dicts(
        q.con,
        f"""
        select traded_at, exchange, instrument, expiry_at, strike, option_type, side, amount_coin, notional_usd,
               premium_usd, iv, flow_label
        from marts.fct_option_flow where {where}
        order by traded_at desc, exchange, instrument
        limit {int(limit)}
        """,
        params,
    )
    keys = ("trades", "block_trades", "notional_usd", "premium_usd", "buy_notional_usd", "sell_notional_usd")
    summary = dict(zip(keys + ("call_notional_usd", "put_notional_usd"), totals, strict=True))
    block = {
        "window_start": iso(start),
        "window_end": iso(end),
        "summary": summary,
        "trades": [
            {
                "traded_at": iso(t["traded_at"]),
                "exchange": t["exchange"],
                "instrument": t["instrument"],
                "expiry_at": iso(t["expiry_at"]),
                "strike": t["strike"],
                "option_type": t["option_type"],
                "side": t["side"],
                "amount_coin": t["amount_coin"],
                "notional_usd": t["notional_usd"],
                "premium_usd": t["premium_usd"],
                "iv_pct": pct_value(t["iv"]),
                "flow_label": t["flow_label"],
            }
            for t in trades
        ],
    }
    return block, venue_times, modes


def build(q: Query, args) -> dict:
    if args.expiry is not None:
        view = "expiry"
        rule, wanted = _parse_expiry(args.expiry)
    else:
        view = "pcr" if args.pcr else "flow" if args.flow else "overview"
        rule, wanted = None, None
    if view != "flow" and (args.min_notional is not None or args.limit is not None):
        raise CliError(
            "ERR_BAD_ARGUMENT", "--min-notional and --limit go with --flow", "e.g. options BTC --flow --limit 50"
        )
    min_notional = None if args.min_notional is None else _parse_usd(args.min_notional)
    limit = _parse_limit(args.limit)
    charting = bool(getattr(args, "chart", None))
    check_assets(q, args.assets, "marts.dim_instruments")
    lags = allowed_lags(q.con, "hourly_snapshot")
    modes: set[str] = set()
    blocks = []
    for asset in args.assets:
        snaps = [] if view == "flow" and not charting else _snapshots(q, asset)
        if view != "flow" and not snaps:
            raise no_data(f"option chains for {asset}", q)
        modes.update(s["data_mode"] for s in snaps if s["data_mode"])
        fields: dict = {}
        chart_expiry = None
        if view == "overview":
            venues = [_overview_venue(s) for s in snaps]
            fields = {"venues": venues, "iv_view": _iv_view(venues)}
        elif view == "pcr":
            fields = _pcr_block(q, asset, snaps)
        elif view == "expiry":
            fields, chart_expiry = _expiry_block(q, asset, snaps, rule, wanted)
        if view == "flow":
            fields, venue_times, flow_modes = _flow_block(q, asset, min_notional, limit)
            modes |= flow_modes
            block = asset_block(q, asset, venue_times, allowed_lags(q.con, "daily_history"))
        else:
            block = asset_block(q, asset, {s["exchange"]: s["observed_at"] for s in snaps}, lags)
        if chart_expiry is None and charting and snaps:
            primary = snaps[0]
            nearest = _expiries(q, asset, snaps, primary["exchange"])
            chart_expiry = nearest[0] if nearest else None
        fields["strike_oi"] = None if chart_expiry is None else _strike_oi(q, asset, chart_expiry)
        blocks.append({**block, **fields})
    return envelope(
        "options",
        q,
        modes,
        blocks,
        view=view,
        expiry_requested=args.expiry,
        flow_window_hours=FLOW_WINDOW.total_seconds() / 3600 if view == "flow" else None,
        flow_min_notional_usd=min_notional,
    )


# ---------------------------------------------------------------------------------------------------- output


def _num(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:,.{digits}f}"


def _p(x: float | None, digits: int = 1, sign: bool = False) -> str:
    """A percent number (already x100) for the table."""
    if x is None:
        return "n/a"
    return f"{x:+.{digits}f}%" if sign else f"{x:.{digits}f}%"


def _usd(x: float | None) -> str:
    """$8.2B, $125.0M, $45.2K, $950."""
    if x is None:
        return "n/a"
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(x) >= scale:
            return f"${x / scale:,.1f}{suffix}"
    return f"${x:,.0f}"


def _price(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"${x:,.0f}" if abs(x) >= 1000 or x == int(x) else f"${x:,.2f}"


def _day(text: str | None) -> str:
    return "n/a" if text is None else text[:10]


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _render_overview(a: dict) -> list[str]:
    lines = [f"{a['asset']} OPTIONS OVERVIEW"]
    rows, notes = [], []
    for v in a["venues"]:
        rows.append(
            [
                venue_name(v["exchange"]),
                _num(v["pcr_oi"]),
                _num(v["pcr_volume"]),
                _usd(v["total_oi_usd"]),
                _p(v["atm_iv_30d_pct"]),
                _p(v["dvol_pct"]),
                _p(v["iv_rank_pct"]),
                # One observation is below nothing: no percentile to speak of yet.
                _p(v["iv_percentile_pct"]) if (v["iv_rank_observations"] or 0) > 1 else "n/a",
            ]
        )
        notes.append("  STALE" if v["exchange"] in a["stale_venues"] else "")
    headers = ["Exchange", "PCR OI", "PCR Vol", "Total OI", "ATM IV", "DVOL", "IV Rank", "IV Pctl"]
    lines += table(headers, rows, [10, 8, 9, 10, 9, 8, 9, 9], notes)
    lines.append("PCR = put/call ratio (open interest, 24h volume); ATM IV = 30-day at-the-money implied volatility")
    iv = a["iv_view"]
    if iv:
        lines.append(iv["text"])
    else:
        lines.append("IV Rank: n/a (no venue has an IV history to rank against yet)")
    lines.append("  IV Rank > 80: options expensive, consider selling | < 20: options cheap, consider buying")
    first = a["venues"][0]
    pcr = first["pcr_oi"]
    if pcr is not None:
        side = "more puts than calls open" if pcr > 1 else "more calls than puts open" if pcr < 1 else "balanced"
        lines.append(f"Put/Call ({venue_name(first['exchange'])}, by OI): {pcr:.2f} - {side}")
    nearest = first["nearest_expiry_at"]
    if nearest:
        in_time = duration(_when(nearest) - _when(first["observed_at"]))
        pains = " | ".join(
            f"{venue_name(v['exchange'])} {_price(v['nearest_max_pain_strike'])}"
            for v in a["venues"]
            if v["nearest_expiry_at"] == nearest
        )
        lines.append(f"Nearest expiry: {utc(_when(nearest))} (in {in_time}) | Max pain: {pains}")
    lines.append("  Max pain: the settlement price at which most options expire worthless")
    return lines


def _render_pcr(a: dict) -> list[str]:
    lines = [f"{a['asset']} PUT/CALL RATIO (per expiry; open interest and 24h volume)"]
    unit = a["asset"]
    for v in a["venues"]:
        lines.append(f"{venue_name(v['exchange'])} (chain at {utc(_when(v['observed_at']))})")
        rows = [
            [
                _day(e["expiry_at"]),
                _num(e["days_to_expiry"], 1),
                _num(e["pcr_oi"]),
                _num(e["pcr_volume"]),
                _num(e["call_oi_coin"], 0),
                _num(e["put_oi_coin"], 0),
            ]
            for e in v["expiries"]
        ]
        o = v["overall"]
        rows.append(
            [
                "Overall",
                "",
                _num(o["pcr_oi"]),
                _num(o["pcr_volume"]),
                _num(o["call_oi_coin"], 0),
                _num(o["put_oi_coin"], 0),
            ]
        )
        headers = ["Expiry", "Days", "PCR OI", "PCR Vol", f"Call OI {unit}", f"Put OI {unit}"]
        lines += table(headers, rows, [12, 7, 8, 9, 13, 13])
    c = a["combined"]
    lines.append(
        f"All venues: PCR {_num(c['pcr_oi'])} by OI, {_num(c['pcr_volume'])} by volume "
        f"(calls {_num(c['call_oi_coin'], 0)} / puts {_num(c['put_oi_coin'], 0)} {unit} open)"
    )
    lines.append("  PCR above 1: more puts than calls (hedging, bearish tilt); below 1: calls dominate")
    return lines


def _render_expiry(a: dict, requested: str) -> list[str]:
    expiry = _when(a["expiry_at"])
    venues = a["venues"]
    rule = RULE_NAMES.get(a["expiry_rule"], requested)
    in_time = duration(expiry - _when(venues[0]["observed_at"]))
    lines = [f"{a['asset']} OPTIONS EXPIRY {expiry:%Y-%m-%d %H:%M} UTC ({rule}, in {in_time})"]
    spec = [
        ("Days to expiry", lambda v: _num(v["days_to_expiry"], 1)),
        ("Underlying (fwd)", lambda v: _price(v["underlying_price"])),
        ("Max pain", lambda v: _price(v["max_pain_strike"])),
        ("  vs underlying", lambda v: _p(v["max_pain_distance_pct"], 2, sign=True)),
        ("PCR (OI)", lambda v: _num(v["pcr_oi"])),
        ("PCR (volume)", lambda v: _num(v["pcr_volume"])),
        ("ATM IV", lambda v: _p(v["atm_iv_pct"])),
        ("25d skew", lambda v: "n/a" if v["skew_25d_pct"] is None else f"{v['skew_25d_pct']:+.2f} pts"),
        (f"Call OI {a['asset']}", lambda v: _num(v["call_oi_coin"], 0)),
        (f"Put OI {a['asset']}", lambda v: _num(v["put_oi_coin"], 0)),
        ("Call OI USD", lambda v: _usd(v["call_oi_usd"])),
        ("Put OI USD", lambda v: _usd(v["put_oi_usd"])),
    ]
    rows = [[label, *(fmt(v) for v in venues)] for label, fmt in spec]
    lines += table(["", *(venue_name(v["exchange"]) for v in venues)], rows, [18, *([13] * len(venues))])
    first = venues[0]
    if first["max_pain_strike"] is not None and first["max_pain_distance_pct"] is not None:
        where = "below" if first["max_pain_distance_pct"] < 0 else "above"
        lines.append(
            f"Max pain ({venue_name(first['exchange'])}): {_price(first['max_pain_strike'])}, "
            f"{abs(first['max_pain_distance_pct']):.2f}% {where} the underlying {_price(first['underlying_price'])}"
        )
    lines.append("  Max pain: the settlement price at which most options expire worthless")
    lines.append("  25d skew: put IV minus call IV at 25 delta; positive = puts richer (downside demand)")
    if a["not_listed_on"]:
        lines.append(f"Not listed on: {', '.join(venue_name(v) for v in a['not_listed_on'])}")
    return lines


def _render_flow(a: dict, report: dict) -> list[str]:
    floor = report.get("flow_min_notional_usd")
    title = f"{a['asset']} OPTIONS FLOW: large and block trades, 24h"
    lines = [title + (f" (notional >= {_usd(floor)})" if floor else "")]
    rows = [
        [
            f"{t['traded_at'][5:10]} {t['traded_at'][11:16]}",
            venue_name(t["exchange"]),
            t["instrument"],
            t["side"] or "n/a",
            _usd(t["notional_usd"]),
            _usd(t["premium_usd"]),
            _p(t["iv_pct"]),
            t["flow_label"],
        ]
        for t in a["trades"]
    ]
    headers = ["Time (UTC)", "Venue", "Instrument", "Side", "Notional", "Premium", "IV", "Label"]
    lines += table(headers, rows, [13, 9, 24, 6, 10, 10, 8, 7])
    s = a["summary"]
    start, end = _when(a["window_start"]), _when(a["window_end"])
    lines.append(
        f"{s['trades']:,} trades ({s['block_trades']:,} block) from {utc(start)} to {utc(end)}; "
        f"shown: newest {len(a['trades'])}"
    )
    if s["trades"]:
        lines.append(
            f"Notional {_usd(s['notional_usd'])} | Premium {_usd(s['premium_usd'])} | "
            f"Taker buys {_usd(s['buy_notional_usd'])} / sells {_usd(s['sell_notional_usd'])} | "
            f"Calls {_usd(s['call_notional_usd'])} / Puts {_usd(s['put_notional_usd'])}"
        )
    return lines


def render_table(report: dict) -> str:
    lines = banner(report)
    for a in report["assets"]:
        if report["view"] == "overview":
            lines += _render_overview(a)
        elif report["view"] == "pcr":
            lines += _render_pcr(a)
        elif report["view"] == "expiry":
            lines += _render_expiry(a, report["expiry_requested"])
        else:
            lines += _render_flow(a, report)
        lines += footer(report, a)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def csv_rows(report: dict) -> tuple[list[str], list[list]]:
    view = report["view"]
    rows: list[list] = []
    if view == "overview":
        keys = [
            "exchange",
            "observed_at",
            "pcr_oi",
            "pcr_volume",
            "total_oi_usd",
            "atm_iv_30d_pct",
            "dvol_pct",
            "iv_rank_basis",
            "iv_rank_pct",
            "iv_percentile_pct",
            "iv_rank_observations",
            "iv_signal",
            "nearest_expiry_at",
            "nearest_max_pain_strike",
        ]
        for a in report["assets"]:
            rows += [[a["asset"], *(v[k] for k in keys), v["exchange"] in a["stale_venues"]] for v in a["venues"]]
        return ["asset", *keys, "stale"], rows
    if view == "pcr":
        keys = ["pcr_oi", "pcr_volume", "call_oi_coin", "put_oi_coin", "call_volume_coin", "put_volume_coin"]
        for a in report["assets"]:
            for v in a["venues"]:
                for e in v["expiries"]:
                    rows.append(
                        [a["asset"], v["exchange"], v["observed_at"], e["expiry_at"], e["days_to_expiry"]]
                        + [e[k] for k in keys]
                    )
                rows.append(
                    [a["asset"], v["exchange"], v["observed_at"], "overall", None] + [v["overall"][k] for k in keys]
                )
        return ["asset", "exchange", "observed_at", "expiry_at", "days_to_expiry", *keys], rows
    if view == "expiry":
        keys = [
            "exchange",
            "observed_at",
            "expiry_at",
            "days_to_expiry",
            "underlying_price",
            "max_pain_strike",
            "max_pain_distance_pct",
            "pcr_oi",
            "pcr_volume",
            "atm_strike",
            "atm_iv_pct",
            "call_iv_25d_pct",
            "put_iv_25d_pct",
            "skew_25d_pct",
            "call_oi_coin",
            "put_oi_coin",
            "call_oi_usd",
            "put_oi_usd",
        ]
        for a in report["assets"]:
            rows += [[a["asset"], *(v[k] for k in keys)] for v in a["venues"]]
        return ["asset", *keys], rows
    keys = [
        "traded_at",
        "exchange",
        "instrument",
        "expiry_at",
        "strike",
        "option_type",
        "side",
        "amount_coin",
        "notional_usd",
        "premium_usd",
        "iv_pct",
        "flow_label",
    ]
    for a in report["assets"]:
        rows += [[a["asset"], *(t[k] for k in keys)] for t in a["trades"]]
    return ["asset", *keys], rows


def chart(report: dict, path) -> None:
    from tracker.charts.options import draw

    draw(report, path)
