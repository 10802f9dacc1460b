"""Entry point: `python derivatives_tracker.py <command> ...` or the `derivatives-tracker` script."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys

from tracker.errors import CliError

COMMANDS = ("funding",)


class _Parser(argparse.ArgumentParser):
    """argparse that reports ERR_BAD_ARGUMENT instead of printing usage and exiting 2 by itself."""

    def error(self, message: str):  # type: ignore[override]
        raise CliError("ERR_BAD_ARGUMENT", message, f"see `{self.prog} --help`")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="derivatives_tracker.py",
        description="Crypto derivatives reports from the published warehouse.",
    )
    sub = parser.add_subparsers(dest="command", metavar="command", parser_class=_Parser)
    funding = sub.add_parser("funding", help="perpetual funding rates per venue, weighted, with sentiment")
    funding.add_argument("assets", nargs="+", metavar="ASSET", help="assets such as BTC ETH SOL")
    funding.add_argument("--output", choices=["table", "json", "csv"], default="table")
    return parser


def _csv(report: dict) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(
        [
            "asset",
            "exchange",
            "instrument",
            "funding_interval_hours",
            "current_rate_8h_pct",
            "avg_24h_rate_8h_pct",
            "avg_7d_rate_8h_pct",
            "next_funding_at",
            "oi_usd",
            "as_of",
            "data_mode",
            # Appended last, so readers of the earlier columns by position are unaffected.
            "stale",
            "last_data_at",
        ]
    )
    for a in report["assets"]:
        for v in a["venues"]:
            writer.writerow(
                [
                    a["asset"],
                    v["exchange"],
                    v["instrument"],
                    v["funding_interval_hours"],
                    v["current_rate_8h_pct"],
                    v["avg_24h_rate_8h_pct"],
                    v["avg_7d_rate_8h_pct"],
                    v["next_funding_at"],
                    v["oi_usd"],
                    v["as_of"],
                    report["data_mode"],
                    "true" if v["stale"] else "false",
                    v["last_data_at"],
                ]
            )
    return buf.getvalue()


def run(argv: list[str]) -> str:
    if not argv:
        raise CliError("ERR_BAD_ARGUMENT", "no command given", f"commands: {', '.join(COMMANDS)}; see --help")
    if argv[0] not in COMMANDS and not argv[0].startswith("-"):
        raise CliError("ERR_BAD_ARGUMENT", f"unknown command {argv[0]!r}", f"commands: {', '.join(COMMANDS)}")
    args = build_parser().parse_args(argv)
    from tracker.symbols import normalise_asset

    assets = list(dict.fromkeys(normalise_asset(a) for a in args.assets))
    from tracker.reports import funding
    from tracker.store import open_published

    con = open_published()
    try:
        report = funding.build(con, assets)
    finally:
        con.close()
    if args.output == "json":
        return json.dumps(report, indent=2) + "\n"
    if args.output == "csv":
        return _csv(report)
    return funding.render_table(report)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    wants_json = "--output" in argv and "json" in argv or "--output=json" in argv
    try:
        sys.stdout.write(run(argv))
        return 0
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except CliError as err:
        _report(err, wants_json)
        return err.exit_code
    except KeyboardInterrupt:
        return 130
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
    tests call inside processes that may need pandas.
    """
    sys.modules.setdefault("pandas", None)  # type: ignore[arg-type]
    return main()


if __name__ == "__main__":
    sys.exit(entry())
