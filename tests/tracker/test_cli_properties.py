"""Property-based tests over the command line's arguments (hypothesis), on the scripted-market warehouse:
whatever a user types, the answer is either a report (exit 0, nothing on stderr but a chart note) or one coded
error line with a hint (non-zero exit); never a traceback, never ERR_INTERNAL, never an error with exit 0.

The command line runs in-process (tracker.cli.main) so that hundreds of argument lists take seconds; the
subprocess tests of each command check the process boundary itself.
"""

from __future__ import annotations

import contextlib
import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.cli import COMMANDS, main

pytestmark = pytest.mark.timeout(2700)

ERROR_LINE = re.compile(r"^ERR_[A-Z_]+: .+\n  hint: .+\n$")

ASSETS = st.one_of(
    st.sampled_from(["BTC", "ETH", "SOL", "btc", "XBT", "BTCUSDT", "BTC-PERPETUAL", "DOGE", "BTX", "B$C", "-", ""]),
    st.text(max_size=12),
)
TIMES = st.one_of(
    st.sampled_from(
        [
            "2026-11-20",
            "2026-11-20T14:00",
            "2026-11-20T14:00Z",
            "2026-11-15T03:30:00+02:00",
            "2026-10-01",
            "2025-01-01",
            "2099-01-01",
            "yesterday",
            "2026-13-01",
            "",
        ]
    ),
    st.text(max_size=25),
)
WINDOWS = st.one_of(
    st.sampled_from(["24h", "7d", "30d", "1h", "365d", "0d", "366d", "7", "d", "-1d"]), st.text(max_size=6)
)
NUMBERS = st.one_of(
    st.sampled_from(["0.08", "0", "-1", "5", "100000", "1e9", "nan", "inf", "abc", ""]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=8),
)
VENUES = st.one_of(st.sampled_from(["binance", "OKX", "bybit,deribit", "binanc", "ftx", "", ","]), st.text(max_size=10))
EXPIRIES = st.one_of(
    st.sampled_from(["friday", "month", "quarter", "2026-11-27", "2026-12-25", "2026-02-30", "week"]),
    st.text(max_size=12),
)
FLAG_VALUES = {
    "--output": st.sampled_from(["table", "json", "csv", "xml", "JSON"]),
    "--as-of": TIMES,
    "--exchange": VENUES,
    "--history": WINDOWS,
    "--alert-threshold": NUMBERS,
    "--min-size": NUMBERS,
    "--expiry": EXPIRIES,
    "--min-yield": NUMBERS,
    "--since": WINDOWS,
    "--type": st.sampled_from(["funding_extreme", "oi_surge", "nope", ""]),
    "--chart": st.sampled_from(["/nonexistent/dir/x.png", "chart.txt", "/", ""]),
}
SWITCHES = ["--changes", "--divergence", "--recent", "--pcr", "--flow", "--quarterly", "--all", "--help-me", "-x"]


@st.composite
def argv(draw) -> list[str]:
    command = draw(st.one_of(st.sampled_from(COMMANDS), st.text(max_size=10)))
    args = [command, *draw(st.lists(ASSETS, max_size=3))]
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            flag = draw(st.sampled_from(sorted(FLAG_VALUES)))
            args += [flag, draw(FLAG_VALUES[flag])] if draw(st.integers(0, 9)) else [flag]
        else:
            args.append(draw(st.sampled_from(SWITCHES)))
    return draw(st.permutations(args)) if draw(st.integers(0, 4)) == 0 else args


def _run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def published_env(episode_market):
    env, _, _ = episode_market
    mp = pytest.MonkeyPatch()
    mp.setenv("DW_WAREHOUSE_PATH", env["DW_WAREHOUSE_PATH"])
    mp.delenv("DW_DEBUG", raising=False)
    yield
    mp.undo()


def _check(args: list[str]) -> None:
    code, out, err = _run(args)
    assert "Traceback" not in out + err, args
    assert "ERR_INTERNAL" not in err, (args, err)
    if code == 0:
        assert "ERR_" not in err, (args, err)
        # --help prints usage; a report prints something; a chart leaves one note on stderr.
        assert out.strip(), args
        assert err in ("",) or err.startswith("chart written to "), (args, err)
    else:
        assert ERROR_LINE.match(err), (args, err)
        assert code == {"ERR_BAD_ARGUMENT": 2, "ERR_SYMBOL_INVALID": 3, "ERR_NO_DATA": 4}.get(err.split(":")[0]), (
            args,
            code,
            err,
        )


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(args=argv())
def test_any_arguments_give_a_report_or_one_coded_error(published_env, args):
    _check(args)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=st.lists(st.text(max_size=15), max_size=5))
def test_arbitrary_text_never_breaks_the_command_line(published_env, args):
    _check(args)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_answers_its_plain_form(published_env, command):
    args = [command] if command in ("basis", "alerts") else [command, "BTC"]
    code, out, err = _run(args)
    assert (code, err) == (0, ""), err
    assert "SIMULATED DATA" in out.splitlines()[0]
    assert "Data as of " in out
