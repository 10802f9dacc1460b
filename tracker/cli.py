"""Entry point: `python derivatives_tracker.py <command> ...` or the `derivatives-tracker` script.

Each command is a module of tracker/reports with:
  HELP (one line), ASSETS ("+" one or more, "*" optional), CHART (bool: takes --chart),
  add_arguments(parser), build(query, args) -> dict (the JSON report), render_table(report) -> str,
  csv_rows(report) -> (header, rows), and chart(report, path) when CHART.
This module owns what they share: the flags every command takes, assets, output formats and errors.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import io
import json
import os
import sys
from datetime import UTC, datetime

from tracker.errors import CliError

COMMANDS = ("funding", "oi", "liquidations", "options", "basis", "dashboard", "alerts")
OUTPUTS = ("table", "json", "csv")


class _Parser(argparse.ArgumentParser):
    """argparse that reports ERR_BAD_ARGUMENT instead of printing usage and exiting 2 by itself."""

    def error(self, message: str):  # type: ignore[override]
        raise CliError("ERR_BAD_ARGUMENT", message, f"see `{self.prog} --help`")


def _module(command: str):
    return importlib.import_module(f"tracker.reports.{command}")


def build_parser(commands: tuple[str, ...] = COMMANDS) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="derivatives_tracker.py",
        description="Crypto derivatives reports from the published warehouse (read-only).",
        epilog="Errors exit non-zero with a code (ERR_BAD_ARGUMENT 2, ERR_SYMBOL_INVALID 3, ERR_NO_DATA 4, "
        "ERR_RATE_LIMIT 5, ERR_EXCHANGE_DOWN 6) and one line of cause plus a hint.",
    )
    sub = parser.add_subparsers(dest="command", metavar="command", parser_class=_Parser)
    for command in commands:
        mod = _module(command)
        p = sub.add_parser(command, help=mod.HELP, description=mod.HELP)
        if mod.ASSETS == "+":
            p.add_argument("assets", nargs="+", metavar="ASSET", help="assets such as BTC ETH SOL")
        elif mod.ASSETS == "*":
            p.add_argument("assets", nargs="*", metavar="ASSET", help="assets such as BTC ETH SOL (default: all)")
        mod.add_arguments(p)
        p.add_argument("--output", choices=OUTPUTS, default="table", help="table (default), json or csv")
        p.add_argument(
            "--as-of",
            metavar="TIME",
            help="point-in-time view: the report as the warehouse's history stood then (ISO-8601 UTC)",
        )
        p.add_argument(
            "--exchange",
            action="append",
            metavar="VENUE",
            help="only these venues (repeat or comma-separate: binance,bybit,okx,deribit,bitmex,dydx,gmx,drift)",
        )
        if mod.CHART:
            p.add_argument("--chart", metavar="PATH", help="also write a PNG chart to PATH")
    return parser


def run(argv: list[str], now: datetime | None = None) -> str:
    if not argv:
        raise CliError("ERR_BAD_ARGUMENT", "no command given", f"commands: {', '.join(COMMANDS)}; see --help")
    if argv[0] not in COMMANDS and not argv[0].startswith("-"):
        import difflib

        close = difflib.get_close_matches(argv[0], COMMANDS, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise CliError(
            "ERR_BAD_ARGUMENT", f"unknown command {argv[0][:40]!r}", f"{hint}commands: {', '.join(COMMANDS)}"
        )
    # Only the asked command's module is imported (start-up time); --help alone lists them all.
    parser = build_parser(COMMANDS if argv[0].startswith("-") else (argv[0],))
    args = parser.parse_args(argv)
    mod = _module(args.command)
    from tracker.query import Query, parse_as_of, parse_exchanges
    from tracker.symbols import normalise_asset

    now = now or datetime.now(UTC)
    args.assets = list(dict.fromkeys(normalise_asset(a) for a in getattr(args, "assets", None) or []))
    as_of = parse_as_of(args.as_of, now) if args.as_of else None
    exchanges = parse_exchanges(args.exchange)
    chart_path = None
    if getattr(args, "chart", None):
        from tracker.charts import check_path

        chart_path = check_path(args.chart)
    from tracker.store import open_published

    con = open_published()
    try:
        report = mod.build(Query(con=con, now=now, as_of=as_of, exchanges=exchanges), args)
    finally:
        con.close()
    if chart_path is not None:
        mod.chart(report, chart_path)
        sys.stderr.write(f"chart written to {chart_path}\n")
    if args.output == "json":
        return json.dumps(report, indent=2) + "\n"
    if args.output == "csv":
        header, rows = mod.csv_rows(report)
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(header)
        writer.writerows(rows)
        return buf.getvalue()
    return mod.render_table(report)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    wants_json = ("--output" in argv and "json" in argv) or "--output=json" in argv
    try:
        sys.stdout.write(run(argv))
        return 0
    except SystemExit as exc:  # --help
        return int(exc.code or 0) if isinstance(exc.code, int) else 2
    except CliError as err:
        _report(err, wants_json)
        return err.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `... | head`: the reader left; nothing more to say
        return 0
    except Exception as exc:  # noqa: BLE001 - the user gets one line, never a traceback
        if os.environ.get("DW_DEBUG"):
            raise
        err = CliError(
            "ERR_INTERNAL",
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
            "set DW_DEBUG=1 for the full trace and report it",
        )
        _report(err, wants_json)
        return err.exit_code


def _report(err: CliError, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(err.as_json()) + "\n")
    sys.stderr.write(err.render() + "\n")


def entry() -> int:
    """Process entry point (the script and `derivatives-tracker`).

    duckdb imports pandas (about a second) the first time it binds a query parameter or returns a
    timestamp, only to check for DataFrames. The command line never uses pandas, so in its own
    process we mark pandas as absent and duckdb takes its plain-Python path. Not done in `main`, which
    tests call inside processes that may need pandas. A chart (matplotlib) does not need pandas either.
    """
    sys.modules.setdefault("pandas", None)  # type: ignore[arg-type]
    return main()


if __name__ == "__main__":
    sys.exit(entry())
