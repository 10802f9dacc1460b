"""`basis [ASSET ...] [--quarterly | --all] [--min-yield PCT]`: the skill card's basis report.

Views (no asset = every asset with futures quotes):
  spot-perp (default)  per venue and perpetual: mark, spot reference, basis = mark / spot - 1 and the funding APR
                       (a perpetual has no expiry, so its annualised carry is its funding).
  --quarterly          the dated futures term structure per venue: expiry, days, basis and annualised basis
                       (basis x 365 / days), the perpetual as the shortest point (0 days, yield = funding APR).
  --all                every carry opportunity ranked by annualised yield: dated futures (cash-and-carry: buy spot,
                       sell the future) and perpetuals (funding carry: buy spot, short the perpetual) whose
                       annualised yield is at least --min-yield (default 5 %, the dbt var basis_min_yield).
                       --min-yield alone also selects this view.

Data: without --as-of, marts.fct_basis_term_structure (each venue's latest snapshot hour; the same points and
yields marts.fct_carry_opportunities ranks). With --as-of, the same construction from the history in
marts.fct_basis: each venue's newest snapshot hour at or before the as-of, each contract's newest quote in that
hour, live contracts only (expiry after the quote and after the as-of). The perpetuals' funding APR then comes
from marts.fct_funding_hourly (the rate in force in that hour, primary perpetuals only; null for the others):
funding_apr_source says which ("open_period" = the open funding period's rate in our snapshot, as in the term
structure mart; "in_force_hour" = fct_funding_hourly).

JSON shape (schema_version 1; the envelope of tracker/reports/common.py). Basis and yields are percent numbers
(keys ending in _pct: 1.5 = 1.5 %), prices in USD per coin:
{
  "report": "basis", "schema_version": 1, ...envelope...,
  "view": "spot_perp" | "quarterly" | "opportunities", "min_yield_pct": float (the opportunities' threshold),
  "assets": [{
    "asset": str, "as_of": ISO-8601 UTC, "stale": bool, "stale_venues": [str], "venue_last_data_at": {...},
    "perp_structure": "contango" | "backwardation" | "flat" | null (sign of the mean spot-perp basis),
    "futures_structure": "contango" | "backwardation" | "flat" | null (sign of the mean dated-futures basis),
    "perpetuals": [point] (spot-perp basis, venue order),
    "term_structure": [point] (venue order, perpetuals first, then by expiry),
    "opportunities": [point + {"rank": int (within the asset, by yield), "carry_kind": "cash_and_carry" |
                      "funding_carry", "trade": str}] (annualised_yield_pct >= min_yield_pct, best first)
  }]
}
point = {"exchange", "instrument", "contract_type": "perpetual" | "future", "expiry_at": ISO | null,
         "days_to_expiry": float (0 for perpetuals), "observed_at": ISO, "mark_price", "spot_price", "spot_source",
         "basis_pct", "annualised_yield_pct" (basis APR for futures, funding APR for perpetuals; may be null),
         "yield_kind": "basis_apr" | "funding_apr", "funding_apr_pct": float | null (perpetuals),
         "funding_apr_source": "open_period" | "in_force_hour" | null}
All three lists are filled whatever the view; the view only picks the table.
"""

from __future__ import annotations

import math
from datetime import datetime

from tracker.errors import CliError
from tracker.freshness import allowed_lags
from tracker.query import VENUES, Query, marks, venue_name
from tracker.render import table
from tracker.reports.common import asset_block, banner, check_assets, envelope, footer, iso, no_data
from tracker.store import fetch_dicts

HELP = "spot-perp basis, futures term structure and cash-and-carry / funding-carry opportunities"
ASSETS = "*"
CHART = False

DEFAULT_MIN_YIELD_PCT = 5.0  # the dbt var basis_min_yield (0.05), which marts.fct_carry_opportunities applies
MIN_YIELD_RANGE = (-100.0, 1000.0)  # percent per year; outside is a typo, not a threshold


def add_arguments(parser) -> None:
    views = parser.add_mutually_exclusive_group()
    views.add_argument(
        "--quarterly", action="store_true", help="dated futures term structure per venue (perp = shortest point)"
    )
    views.add_argument("--all", action="store_true", help="every carry opportunity ranked by annualised yield")
    parser.add_argument(
        "--min-yield",
        metavar="PCT",
        help=f"opportunities with an annualised yield of at least PCT percent (default {DEFAULT_MIN_YIELD_PCT:g})",
    )


def _parse_min_yield(text: str | None) -> float | None:
    if text is None:
        return None
    raw = text.strip().rstrip("%").strip()
    try:
        value = float(raw)
    except ValueError:
        raise CliError(
            "ERR_BAD_ARGUMENT", f"--min-yield {text[:30]!r} is not a number", "a percent per year, e.g. --min-yield 5"
        ) from None
    low, high = MIN_YIELD_RANGE
    if not math.isfinite(value) or not low <= value <= high:
        raise CliError(
            "ERR_BAD_ARGUMENT",
            f"--min-yield {text[:30]!r} is out of range",
            f"a percent per year between {low:g} and {high:g}, e.g. --min-yield 5",
        )
    return value


# ---------------------------------------------------------------------------------------------------- queries


def _asset_filter(assets: list[str], column: str = "asset") -> tuple[str, list]:
    if not assets:
        return "", []
    return f" and {column} in ({marks(assets)})", list(assets)


def _current_points(q: Query, assets: list[str]) -> list[dict]:
    where, params = _asset_filter(assets)
    venues, venue_params = q.venues("exchange")
    rows = fetch_dicts(
        q.con,
        f"""
        select asset, exchange, instrument, contract_type, expiry_at, days_to_expiry, observed_at, mark_price,
               spot_price, spot_source, basis, annualised_yield, yield_kind, funding_apr, data_mode
        from marts.fct_basis_term_structure
        where true{where}{venues}
        """,
        [*params, *venue_params],
    )
    for r in rows:
        r["funding_apr_source"] = "open_period" if r["contract_type"] == "perpetual" else None
    return rows


def _points_as_of(q: Query, assets: list[str]) -> list[dict]:
    """The term structure as it stood at q.as_of, rebuilt from the fct_basis history (see the docstring)."""
    where, params = _asset_filter(assets)
    venues, venue_params = q.venues("exchange")
    as_of = q.as_of
    rows = fetch_dicts(
        q.con,
        f"""
        with hours as (
            -- The hour from the epoch, so that the session's time zone cannot shift it.
            select exchange, asset, to_timestamp(floor(max(epoch(observed_at)) / 3600) * 3600) as hour_at
            from marts.fct_basis
            where observed_at <= ?{where}{venues}
            group by exchange, asset
        ),
        in_hour as (
            select b.*, h.hour_at
            from marts.fct_basis as b
            inner join hours as h on h.exchange = b.exchange and h.asset = b.asset
            where b.observed_at >= h.hour_at and b.observed_at < h.hour_at + interval 1 hour
              and b.observed_at <= ?
              and (b.contract_type = 'perpetual' or (b.expiry_at > b.observed_at and b.expiry_at > ?))
        ),
        newest as (
            select exchange, instrument, max(observed_at) as observed_at from in_hour group by exchange, instrument
        )
        select i.asset, i.exchange, i.instrument, i.contract_type, i.expiry_at,
               case when i.contract_type = 'perpetual' then 0.0 else i.days_to_expiry end as days_to_expiry,
               i.observed_at, i.mark_price, i.spot_price, i.spot_source, i.basis,
               case when i.contract_type = 'perpetual' then f.funding_apr else i.basis_apr end as annualised_yield,
               case when i.contract_type = 'perpetual' then 'funding_apr' else 'basis_apr' end as yield_kind,
               case when i.contract_type = 'perpetual' then f.funding_apr end as funding_apr,
               i.data_mode
        from in_hour as i
        inner join newest as n
            on n.exchange = i.exchange and n.instrument = i.instrument and n.observed_at = i.observed_at
        left join marts.fct_funding_hourly as f
            on i.contract_type = 'perpetual' and f.asset = i.asset and f.exchange = i.exchange
            and f.instrument = i.instrument and f.hour_at = i.hour_at
        """,
        [as_of, *params, *venue_params, as_of, as_of],
    )
    for r in rows:
        perp = r["contract_type"] == "perpetual"
        r["funding_apr_source"] = "in_force_hour" if perp and r["funding_apr"] is not None else None
    return rows


# ---------------------------------------------------------------------------------------------------- build


def _pct(x: float | None) -> float | None:
    # Not rounded: the ranking across assets is made from these numbers and must agree with the marts' order.
    return None if x is None else x * 100


def _venue_key(exchange: str) -> tuple[int, str]:
    return (VENUES.index(exchange) if exchange in VENUES else len(VENUES), exchange)


def _point(r: dict) -> dict:
    perp = r["contract_type"] == "perpetual"
    return {
        "exchange": r["exchange"],
        "instrument": r["instrument"],
        "contract_type": r["contract_type"],
        "expiry_at": iso(r["expiry_at"]),
        "days_to_expiry": r["days_to_expiry"],
        "observed_at": iso(r["observed_at"]),
        "mark_price": r["mark_price"],
        "spot_price": r["spot_price"],
        "spot_source": r["spot_source"],
        "basis_pct": _pct(r["basis"]),
        "annualised_yield_pct": _pct(r["annualised_yield"]),
        "yield_kind": r["yield_kind"],
        "funding_apr_pct": _pct(r["funding_apr"]) if perp else None,
        "funding_apr_source": r["funding_apr_source"],
    }


def _structure(bases: list[float]) -> str | None:
    if not bases:
        return None
    mean = sum(bases) / len(bases)
    return "contango" if mean > 0 else "backwardation" if mean < 0 else "flat"


def _block_fields(rows: list[dict], min_yield: float) -> dict:
    rows = sorted(
        rows,
        key=lambda r: (
            _venue_key(r["exchange"]),
            r["contract_type"] != "perpetual",
            r["days_to_expiry"] or 0.0,
            r["instrument"],
        ),
    )
    term = [_point(r) for r in rows]
    perps = [p for p in term if p["contract_type"] == "perpetual"]
    futures = [p for p in term if p["contract_type"] == "future"]
    threshold = min_yield / 100
    chosen = [r for r in rows if r["annualised_yield"] is not None and r["annualised_yield"] >= threshold]
    chosen.sort(key=lambda r: (-r["annualised_yield"], r["exchange"], r["instrument"]))
    opportunities = []
    for rank, r in enumerate(chosen, start=1):
        perp = r["contract_type"] == "perpetual"
        opportunities.append(
            {
                **_point(r),
                "rank": rank,
                "carry_kind": "funding_carry" if perp else "cash_and_carry",
                "trade": "buy spot, short the perpetual" if perp else "buy spot, sell the future",
            }
        )
    return {
        "perp_structure": _structure([p["basis_pct"] for p in perps if p["basis_pct"] is not None]),
        "futures_structure": _structure([p["basis_pct"] for p in futures if p["basis_pct"] is not None]),
        "perpetuals": perps,
        "term_structure": term,
        "opportunities": opportunities,
    }


def build(q: Query, args) -> dict:
    min_yield = _parse_min_yield(args.min_yield)
    if args.quarterly and min_yield is not None:
        raise CliError(
            "ERR_BAD_ARGUMENT",
            "--min-yield filters the opportunities, not the term structure",
            "use `basis --all --min-yield 5` (or leave --min-yield out of --quarterly)",
        )
    view = "quarterly" if args.quarterly else "opportunities" if args.all or min_yield is not None else "spot_perp"
    if min_yield is None:
        min_yield = DEFAULT_MIN_YIELD_PCT
    assets = list(args.assets)
    if assets:
        check_assets(q, assets, "marts.dim_instruments")
    rows = _points_as_of(q, assets) if q.as_of is not None else _current_points(q, assets)
    if not assets:
        assets = sorted({r["asset"] for r in rows})
        if not assets:
            raise no_data("futures basis quotes", q)
    lags = allowed_lags(q.con, "hourly_snapshot")
    modes: set[str] = set()
    blocks = []
    for asset in assets:
        mine = [r for r in rows if r["asset"] == asset]
        if not mine:
            raise no_data(f"futures basis quotes for {asset}", q)
        modes.update(r["data_mode"] for r in mine if r["data_mode"])
        venue_times: dict[str, datetime] = {}
        for r in mine:
            venue_times[r["exchange"]] = max(r["observed_at"], venue_times.get(r["exchange"], r["observed_at"]))
        blocks.append({**asset_block(q, asset, venue_times, lags), **_block_fields(mine, min_yield)})
    return envelope("basis", q, modes, blocks, view=view, min_yield_pct=min_yield)


# ---------------------------------------------------------------------------------------------------- output


def _p(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:+.{digits}f}%"


def _price(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"{x:,.2f}" if abs(x) >= 100 else f"{x:,.4f}"


def _days(p: dict) -> str:
    return "perp" if p["contract_type"] == "perpetual" else f"{p['days_to_expiry']:.1f}"


def _word(structure: str | None, what: str) -> str:
    return {
        "contango": f"contango ({what} above spot, normal)",
        "backwardation": f"backwardation ({what} below spot)",
        "flat": "flat",
    }.get(structure or "", "n/a")


def _best(points: list[dict], kind: str) -> dict | None:
    candidates = [p for p in points if p["yield_kind"] == kind and p["annualised_yield_pct"] is not None]
    return max(candidates, key=lambda p: p["annualised_yield_pct"], default=None)


def _render_spot_perp(a: dict) -> list[str]:
    lines = [f"{a['asset']} SPOT-PERP BASIS"]
    rows, notes = [], []
    for p in a["perpetuals"]:
        rows.append(
            [
                venue_name(p["exchange"]),
                p["instrument"][:18],
                _price(p["mark_price"]),
                _price(p["spot_price"]),
                _p(p["basis_pct"], 4),
                _p(p["funding_apr_pct"], 2),
            ]
        )
        notes.append("  STALE" if p["exchange"] in a["stale_venues"] else "")
    lines += table(
        ["Exchange", "Perpetual", "Perp Mark", "Spot", "Basis", "Funding APR"], rows, [10, 19, 13, 13, 11, 12], notes
    )
    bases = [p["basis_pct"] for p in a["perpetuals"] if p["basis_pct"] is not None]
    if bases:
        above = sum(1 for b in bases if b > 0)
        lines.append(
            f"Mean basis: {_p(sum(bases) / len(bases), 4)} - {_word(a['perp_structure'], 'perpetuals')}; "
            f"{above} of {len(bases)} perpetuals above spot"
        )
    best = _best(a["perpetuals"], "funding_apr")
    if best is not None:
        lines.append(
            f"Best funding carry: {venue_name(best['exchange'])} {best['instrument']} "
            f"{_p(best['annualised_yield_pct'], 2)} APR (buy spot, short the perpetual; the rate floats)"
        )
    lines.append("  Positive basis: futures > spot (contango, normal) | Negative: futures < spot (backwardation)")
    if any(p["funding_apr_source"] == "in_force_hour" for p in a["perpetuals"]):
        lines.append("  Funding APR for a past hour: the rate in force then (primary perpetuals only)")
    return lines


def _render_quarterly(a: dict) -> list[str]:
    lines = [f"{a['asset']} FUTURES TERM STRUCTURE (perpetual = shortest point)"]
    rows, notes = [], []
    for p in a["term_structure"]:
        perp = p["contract_type"] == "perpetual"
        rows.append(
            [
                venue_name(p["exchange"]),
                p["instrument"][:18],
                "perp" if perp else p["expiry_at"][:10],
                _days(p),
                _p(p["basis_pct"]),
                _p(p["annualised_yield_pct"], 2) + (" f" if perp else "  "),
            ]
        )
        notes.append("  STALE" if p["exchange"] in a["stale_venues"] else "")
    lines += table(
        ["Exchange", "Contract", "Expiry", "Days", "Basis", "Annualised"], rows, [10, 19, 12, 8, 10, 13], notes
    )
    lines.append("Annualised = basis x 365 / days to expiry; f = the perpetual's funding APR")
    futures = [p for p in a["term_structure"] if p["contract_type"] == "future" and p["basis_pct"] is not None]
    if futures:
        above = sum(1 for p in futures if p["basis_pct"] > 0)
        lines.append(
            f"Curve: {_word(a['futures_structure'], 'futures')}; {above} of {len(futures)} dated futures above spot"
        )
        best = _best(futures, "basis_apr")
        if best is not None:
            lines.append(
                f"Best cash-and-carry: {venue_name(best['exchange'])} {best['instrument']} "
                f"{_p(best['annualised_yield_pct'], 2)} annualised over {best['days_to_expiry']:.0f} days "
                f"(buy spot + sell the future; basis locked in to expiry)"
            )
    else:
        lines.append("No dated futures listed for this asset: the perpetual is the whole curve")
    lines.append("  Cash-and-carry: buy spot + sell futures when the basis is high")
    return lines


def _ranked(report: dict) -> list[tuple[int, str, dict]]:
    """Every asset's opportunities in one ranking by annualised yield (ties: asset, then the asset's own rank)."""
    flat = [(a["asset"], o) for a in report["assets"] for o in a["opportunities"]]
    flat.sort(key=lambda x: (-x[1]["annualised_yield_pct"], x[0], x[1]["rank"]))
    return [(i, asset, o) for i, (asset, o) in enumerate(flat, start=1)]


def _render_opportunities(report: dict) -> list[str]:
    floor = report["min_yield_pct"]
    lines = [f"BASIS OPPORTUNITIES (annualised yield >= {floor:.2f}%)"]
    rows = [
        [
            str(rank),
            asset,
            venue_name(o["exchange"]),
            o["instrument"][:18],
            "cash&carry" if o["carry_kind"] == "cash_and_carry" else "funding",
            _days(o),
            _p(o["basis_pct"]),
            _p(o["annualised_yield_pct"], 2),
        ]
        for rank, asset, o in _ranked(report)
    ]
    lines += table(
        ["#", "Asset", "Exchange", "Instrument", "Kind", "Days", "Basis", "Annualised"],
        rows,
        [4, 6, 10, 19, 11, 7, 10, 11],
    )
    if not rows:
        lines.append(f"No opportunity at or above {floor:.2f}% annualised; try a lower --min-yield")
    else:
        lines.append(f"{len(rows)} opportunities across {len(report['assets'])} asset(s)")
    lines.append("  Cash-and-carry: buy spot + sell the future, the basis is locked in to expiry")
    lines.append("  Funding carry: buy spot + short the perpetual, collect funding (the rate floats)")
    lines.append("  Yields are simple annualised figures before fees, borrowing and margin costs")
    return lines


def render_table(report: dict) -> str:
    lines = banner(report)
    if report["view"] == "opportunities":
        lines += _render_opportunities(report)
        for a in report["assets"]:
            lines += [f"{a['asset']}: " + line for line in footer(report, a)]
    else:
        for a in report["assets"]:
            lines += _render_spot_perp(a) if report["view"] == "spot_perp" else _render_quarterly(a)
            lines += footer(report, a)
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


POINT_KEYS = [
    "exchange",
    "instrument",
    "contract_type",
    "expiry_at",
    "days_to_expiry",
    "observed_at",
    "mark_price",
    "spot_price",
    "spot_source",
    "basis_pct",
    "annualised_yield_pct",
    "yield_kind",
    "funding_apr_pct",
    "funding_apr_source",
]


def csv_rows(report: dict) -> tuple[list[str], list[list]]:
    view = report["view"]
    if view == "opportunities":
        keys = ["carry_kind", *POINT_KEYS]
        rows = [[rank, asset, *(o[k] for k in keys)] for rank, asset, o in _ranked(report)]
        return ["rank", "asset", *keys], rows
    rows = []
    for a in report["assets"]:
        points = a["perpetuals"] if view == "spot_perp" else a["term_structure"]
        rows += [[a["asset"], *(p[k] for k in POINT_KEYS), p["exchange"] in a["stale_venues"]] for p in points]
    return ["asset", *POINT_KEYS, "stale"], rows
