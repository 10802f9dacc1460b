"""Great Expectations suites on the marts readers see, run before publishing.

Every mart gets a suite built from its columns, so a new mart is checked the day it is added:

| column (by name)                                   | expectation                                        |
|----------------------------------------------------|----------------------------------------------------|
| asset, the slice's time column                     | not null                                           |
| prices: close/open/high/low, strike, `*_price`,    | > 0                                                |
|   `*_strike`, price_close                          |                                                    |
| open interest: oi_usd, oi_coin, total_oi_*,        | > 0                                                |
|   close_oi_usd                                     |                                                    |
| sizes: `*_usd`, `*_coin` (not delta/cvd), counts   | >= 0                                               |
| implied vol: iv, `*_iv`, `*_iv_*`, dvol (fractions)| between 0 and 5                                    |
| shares: `*_share`, share_*, hit rates, IV rank     | between 0 and 1                                    |
| funding_rate, current_funding_rate (per interval)  | within the venue's cap (FUNDING_CAPS), per venue   |

plus, where the grain allows: each venue's mark price within PRICE_TOLERANCE of the venues' median for
the asset (fct_funding_current), completeness per venue and hour for the hourly series that come from
venue history (a missing hour there is a gap a re-fetch can fill, not a schedule that did not run), and
freshness per source (fct_source_freshness; reported as a warning, never blocking).

Only the run's window is validated (the rows whose time falls in it; small tables whole), so the cost of
the gate does not grow with history. Great Expectations is imported inside `run_suites` only: it takes
seconds to import and must never slow Dagster's definition load or the command line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

# Highest funding rate per funding interval that each venue's rules allow for any perpetual, with margin.
# Real history stays far inside (Binance and Bybit 2020-2026: at most 1.2 % per interval; BTC and ETH are
# capped at 0.375 %; dYdX hourly at most 0.094 %); a rate beyond these is a unit or parsing error (a
# percent read as a fraction, a field shifted), not a market.
FUNDING_CAPS = {
    "binance": 0.03,  # adjustedFundingRateCap reaches 3 % on some USD-M alts
    "bybit": 0.03,
    "okx": 0.03,  # maxFundingRate per instrument, up to a few percent on alts
    "bitmex": 0.03,
    "deribit": 0.01,  # the perpetual's 8 h funding is clamped well inside 1 %
    "dydx": 0.01,  # hourly; v4 clamps at (initial - maintenance margin) x 6 per 8 h
    "gmx": 0.01,  # hourly; funding is a small share of borrow
    "drift": 0.01,  # hourly
}
# Venues quote the same asset within a fraction of a percent; 2 % leaves room for a fast market between
# two venues' snapshot seconds while catching a price in the wrong unit or of the wrong instrument.
PRICE_TOLERANCE = 0.02

# Preferred time column per mart, in order; the first one present bounds the slice to the run's window.
TIME_COLUMNS = ("hour_at", "funding_at", "observed_at", "liquidated_at", "traded_at", "fired_at", "as_of")
DATE_COLUMNS = ("day", "event_date")
WHOLE_TABLE_ROWS = 50_000  # tables without a time column are small (dimensions, parameters): check whole

_STRICT_PRICES = {"close", "open", "high", "low", "strike", "price_close"}
_OPEN_INTEREST = {"oi_usd", "oi_coin", "total_oi_usd", "total_oi_coin", "close_oi_usd"}
_RATES_0_1 = {"hit_rate", "dense_hit_rate", "iv_rank", "iv_percentile"}
# Completeness per venue and hour: (mart, condition selecting the history-backed rows).
COMPLETENESS = {
    "fct_open_interest_hourly": "oi_source in ('history', 'mixed')",
    "fct_order_flow_hourly": "true",
}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Expectation:
    """One expectation, in terms we can print; `build()` turns it into a GX expectation."""

    kind: str  # 'not_null' | 'between'
    column: str
    rule: str  # what a reader is told when it fails, e.g. "funding within binance's cap of 3%"
    min_value: float | None = None
    max_value: float | None = None
    strict_min: bool = False
    exchange: str | None = None  # restrict to one venue's rows

    def build(self):
        import great_expectations.expectations as gxe

        cond = {"row_condition": f'exchange=="{self.exchange}"', "condition_parser": "pandas"} if self.exchange else {}
        if self.kind == "not_null":
            return gxe.ExpectColumnValuesToNotBeNull(column=self.column, **cond)
        return gxe.ExpectColumnValuesToBeBetween(
            column=self.column, min_value=self.min_value, max_value=self.max_value, strict_min=self.strict_min, **cond
        )


@dataclass(frozen=True)
class Slice:
    """What one suite validates: the rows of a mart (or a derived frame of it) in the run's window."""

    mart: str
    name: str  # the suite's name: '<mart>' or '<mart>:<aspect>'
    sql: str
    params: tuple
    index_columns: tuple[str, ...]  # identify a failing row: venue, asset, instrument, time
    expectations: tuple[Expectation, ...]
    # A failed blocking slice stops publishing; a failed non-blocking one is reported as a warning. Freshness
    # is the one non-blocking aspect: a venue that is down must not keep every other venue from readers.
    blocking: bool = True


@dataclass
class SuiteOutcome:
    mart: str
    passed: bool
    rows_checked: int = 0
    expectations: int = 0
    failures: list[dict] = field(default_factory=list)
    blocking_failed: bool = False  # False when only non-blocking (freshness) expectations failed

    @property
    def description(self) -> str:
        if self.passed:
            return f"{self.expectations} expectations passed on {self.rows_checked} rows"
        return "; ".join(
            f"{f['rule']}: {f['unexpected_count']} rows fail, e.g. {f['sample_values'][:3]} at {f['sample_rows'][:2]}"
            for f in self.failures
        )


def column_expectations(columns: list[str]) -> list[Expectation]:
    """The convention table of the module docstring, applied to one mart's columns."""
    out: list[Expectation] = []
    for c in columns:
        if c == "asset":  # exchange and instrument are null on asset-wide rows (alerts, summaries)
            out.append(Expectation("not_null", c, f"{c} present"))
        elif c in _STRICT_PRICES or c.endswith(("_price", "_strike")) or c in _OPEN_INTEREST:
            out.append(Expectation("between", c, f"{c} positive", min_value=0, strict_min=True))
        elif (c.endswith(("_usd", "_coin")) and not c.startswith(("delta", "cvd"))) or c.endswith("_count"):
            out.append(Expectation("between", c, f"{c} not negative", min_value=0))
        elif c in ("iv", "dvol") or c.endswith("_iv") or "_iv_" in c:
            out.append(Expectation("between", c, f"{c} between 0 and 5 (500 %)", min_value=0, max_value=5))
        elif c.endswith("_share") or c.startswith("share_") or c in _RATES_0_1:
            out.append(Expectation("between", c, f"{c} between 0 and 1", min_value=0, max_value=1))
        elif c in ("funding_rate", "current_funding_rate") and "exchange" in columns:
            for venue, cap in FUNDING_CAPS.items():
                out.append(
                    Expectation(
                        "between",
                        c,
                        f"{c} within {venue}'s cap of +-{cap:.2%} per interval",
                        min_value=-cap,
                        max_value=cap,
                        exchange=venue,
                    )
                )
    return out


def plan_slices(
    con: duckdb.DuckDBPyConnection, marts: list[str], window: tuple[datetime, datetime], schema: str = "marts"
) -> list[Slice]:
    """The suites for `marts` (table names in `schema`) over the run's window, from the live catalog."""
    catalog: dict[str, list[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = ? "
        "order by table_name, ordinal_position",
        [schema],
    ).fetchall():
        catalog.setdefault(table, []).append(column)
    slices = []
    for mart in marts:
        columns = catalog.get(mart)
        if columns is None:
            continue  # not built in this warehouse (e.g. a model disabled): dbt's own tests cover it
        time_col = next((c for c in TIME_COLUMNS if c in columns), None)
        date_col = next((c for c in DATE_COLUMNS if c in columns), None)
        rel = f'"{schema}"."{mart}"'
        if mart.startswith("dim_") or (time_col is None and date_col is None):
            where, params = "true", ()
        elif time_col:
            where, params = f"{time_col} >= ? and {time_col} < ?", window
        else:
            where, params = f"{date_col} >= ?::date and {date_col} < ?::date", window
        index = tuple(c for c in ("exchange", "asset", "instrument", time_col or date_col) if c and c in columns)
        expectations = column_expectations(columns)
        if time_col and not mart.startswith("dim_"):
            expectations.insert(0, Expectation("not_null", time_col, f"{time_col} present"))
        limit = f" limit {WHOLE_TABLE_ROWS}" if where == "true" else ""
        slices.append(
            Slice(mart, mart, f"select * from {rel} where {where}{limit}", params, index, tuple(expectations))
        )
        if {"asset", "exchange", "mark_price"} <= set(columns) and mart == "fct_funding_current":
            slices.append(_price_consistency(mart, rel, where, params))
        if mart in COMPLETENESS and time_col == "hour_at":
            slices.append(_completeness(mart, rel, where, params, COMPLETENESS[mart]))
        if mart == "fct_source_freshness":
            slices.append(_freshness(mart, rel))
    return slices


def _freshness(mart: str, rel: str) -> Slice:
    """Each source's newest response within its allowed lag of the newest response of any source (the data's
    as-of, as the command line judges it), so the verdict is the same on any day the file is read."""
    sql = f"""
        select exchange, dataset, cadence, last_fetched_at, allowed_lag_hours,
               date_diff('second', last_fetched_at, max(last_fetched_at) over ()) / 3600.0
                   / allowed_lag_hours as lag_over_allowed
        from {rel}
    """
    return Slice(
        mart,
        f"{mart}:freshness",
        sql,
        (),
        ("exchange", "dataset", "cadence", "last_fetched_at"),
        (Expectation("between", "lag_over_allowed", "each source within its allowed lag", min_value=0, max_value=1),),
        blocking=False,
    )


def _price_consistency(mart: str, rel: str, where: str, params: tuple) -> Slice:
    sql = f"""
        select exchange, asset, instrument, as_of, mark_price,
               abs(mark_price / median(mark_price) over (partition by asset) - 1) as deviation_from_venue_median
        from {rel} where {where} and mark_price is not null
    """
    rule = f"each venue's mark price within {PRICE_TOLERANCE:.0%} of the venues' median for the asset"
    return Slice(
        mart,
        f"{mart}:cross_venue_prices",
        sql,
        params,
        ("exchange", "asset", "instrument", "as_of"),
        (Expectation("between", "deviation_from_venue_median", rule, min_value=0, max_value=PRICE_TOLERANCE),),
    )


def _completeness(mart: str, rel: str, where: str, params: tuple, history_rows: str) -> Slice:
    """Every hour between a venue's first and last history-backed hour of the window has a row. Hours
    after the last one are freshness's concern, not completeness's."""
    sql = f"""
        with present as (
            select distinct asset, exchange, hour_at from {rel} where {where} and {history_rows}
        ),
        spans as (
            select asset, exchange, min(hour_at) as first_hour, max(hour_at) as last_hour from present group by all
        ),
        expected as (
            select asset, exchange, unnest(generate_series(first_hour, last_hour, interval 1 hour)) as hour_at
            from spans
        )
        select e.asset, e.exchange, e.hour_at, p.hour_at is not null as hour_present
        from expected e left join present p using (asset, exchange, hour_at)
    """
    return Slice(
        mart,
        f"{mart}:hourly_completeness",
        sql,
        params,
        ("exchange", "asset", "hour_at"),
        (Expectation("between", "hour_present", "every venue hour present", min_value=1, max_value=1),),
    )


def run_suites(con: duckdb.DuckDBPyConnection, slices: list[Slice]) -> dict[str, SuiteOutcome]:
    """Validate each slice with an ephemeral GX context; outcomes per mart (a mart's slices combined)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("published_marts")
    outcomes: dict[str, SuiteOutcome] = {}
    for s in slices:
        frame = con.execute(s.sql, list(s.params)).df()
        if "hour_present" in frame.columns:
            frame["hour_present"] = frame["hour_present"].astype(int)
        batch = source.add_dataframe_asset(s.name).add_batch_definition_whole_dataframe("window")
        suite = context.suites.add(gx.ExpectationSuite(name=s.name, expectations=[e.build() for e in s.expectations]))
        validation = context.validation_definitions.add(gx.ValidationDefinition(name=s.name, data=batch, suite=suite))
        result = validation.run(
            batch_parameters={"dataframe": frame},
            result_format={
                "result_format": "SUMMARY",
                "unexpected_index_column_names": list(s.index_columns),
                "partial_unexpected_count": 5,
            },
        )
        outcome = outcomes.setdefault(s.mart, SuiteOutcome(s.mart, passed=True))
        outcome.rows_checked += len(frame)
        outcome.expectations += len(s.expectations)
        for expectation, r in zip(s.expectations, result.results, strict=True):
            if r.success:
                continue
            outcome.passed = False
            outcome.blocking_failed = outcome.blocking_failed or s.blocking
            outcome.failures.append({**_failure(s, expectation, r.result, r.exception_info), "blocking": s.blocking})
    return outcomes


def _failure(s: Slice, e: Expectation, result: dict, exception_info) -> dict:
    rows = [
        {k: str(v) for k, v in row.items()} if isinstance(row, dict) else str(row)
        for row in result.get("partial_unexpected_index_list") or []
    ]
    failure = {
        "suite": s.name,
        "rule": e.rule,
        "column": e.column,
        "exchange": e.exchange,
        "unexpected_count": result.get("unexpected_count", 0),
        "rows_in_window": result.get("element_count", 0),
        "sample_values": [_plain(v) for v in (result.get("partial_unexpected_list") or [])],
        "sample_rows": rows,
    }
    raised = exception_info.get("raised_exception") if isinstance(exception_info, dict) else False
    if raised:  # the expectation could not run (e.g. a type it cannot compare): say so instead of a count
        failure["error"] = str(exception_info.get("exception_message"))[:300]
    return failure


def _plain(v):
    return v if isinstance(v, (int, float, str, bool)) or v is None else str(v)
