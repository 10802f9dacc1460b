"""Fuzzing the configuration the product reads: environment variables and the files it loads from disk.

Property everywhere: the input is accepted as a usable configuration, or it is refused with the product's own
error type and a clear message; never another exception. "Usable" is checked, not assumed: accepted URLs and
keys must build a real HTTP request, accepted paths must be absolute file paths. The command line's own argument
fuzzing lives in tests/tracker/test_cli_properties.py; here the CLI appears only as a reader of configuration.

Surfaces (and where they are read):
- ingest/config.py Settings.from_env: DW_ASSETS, DW_SIMULATOR_URL, DW_SIMULATOR_NOW, DW_<VENUE>_API_KEY
- alerts/webhook.py + delivery.py: DW_ALERT_WEBHOOK_URL (a secret: refusals must not echo its tokens)
- warehouse/paths.py path_from_env: DW_WAREHOUSE_PATH, DW_ALERTS_LEDGER, DW_COLLECTOR_DIR, and the CLI's answer
- orchestration/run_pipeline.py: --fault JSON, --now, --episode (the runner's configuration of a run)
- files: collector hour files (NDJSON, torn or garbage), the alerts ledger (SQLite, truncated or garbage), the
  published warehouse file the CLI opens (truncated or garbage)
"""

from __future__ import annotations

import json
import os
import string
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from alerts.webhook import WebhookChannel, WebhookConfigError, mask_url, validate_webhook_url
from ingest.config import ConfigError, Settings
from ingest.venues.binance.protocol import auth_headers as binance_auth
from ingest.venues.deribit.protocol import auth_headers as deribit_auth
from warehouse.paths import PathConfigError, path_from_env

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SLOWER = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# What an environment can hold: any text but NUL, including the surrogate escapes Python uses for undecodable bytes.
env_text = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF),
    ),
    max_size=60,
)
huge = st.integers(min_value=1000, max_value=20000).map(lambda n: "A" * n)
hosts = st.one_of(
    st.sampled_from(["127.0.0.1", "localhost", "[::1]", "xn--", "a_b", "ü.example", "-", "..", "[::1", "a b"]),
    st.text(alphabet=string.ascii_letters + string.digits + ".-_[]:", min_size=1, max_size=20),
)
ports = st.one_of(st.none(), st.integers(min_value=0, max_value=10**6).map(str), st.sampled_from(["", "x", "١٢"]))


@st.composite
def urlish(draw) -> str:
    """Mostly URL-shaped text (the interesting failures are near misses), sometimes anything."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.one_of(env_text, huge))
    scheme = draw(st.sampled_from(["http", "https", "ftp", "HTTP", ""]))
    port = draw(ports)
    path = draw(st.sampled_from(["", "/", "/x", "//", "/a/b?c=d"]))
    return f"{scheme}://{draw(hosts)}{'' if port is None else ':' + port}{path}"


@st.composite
def instants(draw) -> str:
    if draw(st.booleans()):
        return draw(env_text)
    year = draw(st.integers(1, 9999))
    offset = draw(st.sampled_from(["Z", "+00:00", "-23:59", "+23:59", "", "+24:00", "+05:30"]))
    return f"{year:04d}-{draw(st.integers(0, 13)):02d}-{draw(st.integers(0, 32)):02d}T00:00:00{offset}"


# Every key starts with a marker no other drawn value carries, so "a refusal echoed the key" has no false alarms.
KEY_MARK = "zQ9_"
keys = st.one_of(env_text, huge, st.text(alphabet=string.printable, max_size=40), st.just("id:secret")).map(
    lambda k: KEY_MARK + k
)


@st.composite
def environments(draw) -> dict[str, str]:
    env: dict[str, str] = {}
    if draw(st.booleans()):
        env["DW_ASSETS"] = draw(st.one_of(env_text, huge, st.sampled_from(["btc,eth", "BTC,,ETH", "ß", "x" * 16])))
    if draw(st.booleans()):
        env["DW_SIMULATOR_URL"] = draw(urlish())
    if draw(st.booleans()):
        env["DW_SIMULATOR_NOW"] = draw(instants())
    for venue in draw(st.lists(st.sampled_from(["BINANCE", "DERIBIT", "OKX", "X1", "binance"]), max_size=3)):
        env[f"DW_{venue}_API_KEY"] = draw(keys)
    return env


@FUZZ
@given(env=environments())
@example(env={"DW_SIMULATOR_URL": "http://x", "DW_SIMULATOR_NOW": "9999-12-31T23:59:59-23:59"})
@example(env={"DW_SIMULATOR_URL": "http://[::1"})
@example(env={"DW_BINANCE_API_KEY": "ключ"})
@example(env={"DW_BINANCE_API_KEY": "a\nb"})
def test_settings_from_env_are_usable_or_a_config_error(env):
    try:
        cfg = Settings.from_env(env)
    except ConfigError as exc:
        message = str(exc)
        assert message and "\n" not in message
        for name, value in env.items():
            if name.endswith("_API_KEY"):
                assert value.strip() not in message and KEY_MARK not in message, "a config error echoed an API key"
        return
    # What VenueClient does with an accepted configuration: a client on the base URL, keys in headers, a GET.
    for venue, headers_of in (("binance", binance_auth), ("deribit", deribit_auth)):
        key = cfg.api_key(venue)
        with httpx.Client(base_url=cfg.base_url("fapi.binance.com"), headers=headers_of(key) if key else {}) as c:
            request = c.build_request("GET", "/fapi/v1/fundingRate", params={"symbol": "BTCUSDT"})
        assert request.url.scheme in ("http", "https") and request.url.host
    assert cfg.now().tzinfo is not None
    assert all(a.isascii() and a.isupper() or a.isdigit() or a.isalnum() for a in cfg.assets)


WEBHOOK_SECRET = "tok3nSECRET"


@st.composite
def webhook_urls(draw) -> str:
    base = draw(urlish())
    if draw(st.booleans()):  # a token where real services put one: deep in the path and in the query
        base = f"{base.rstrip('/')}/hooks/{WEBHOOK_SECRET}?token={WEBHOOK_SECRET}"
    return base


@FUZZ
@given(url=webhook_urls())
@example(url="http://xn--/hooks/tok3nSECRET?token=tok3nSECRET")
@example(url="https://\x7f/hooks/tok3nSECRET")
def test_webhook_url_is_usable_or_a_config_error_without_its_token(url):
    assert WEBHOOK_SECRET not in mask_url(url)
    try:
        valid = validate_webhook_url(url)
    except WebhookConfigError as exc:
        assert "\n" not in str(exc) and WEBHOOK_SECRET not in str(exc), str(exc)
        return
    with WebhookChannel(valid) as channel:
        channel._client.build_request("POST", channel.url, json={"alert": 1})


@contextmanager
def env_var(name: str, value: str | None):
    old = os.environ.get(name)
    try:
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


path_text = st.one_of(
    env_text,
    huge,
    st.sampled_from(["/", "~", "~nosuchuser123/w.duckdb", ".", "..", "/tmp/", "a/" * 200, "x" * 300, " "]),
)


@FUZZ
@given(name=st.sampled_from(["DW_WAREHOUSE_PATH", "DW_ALERTS_LEDGER", "DW_COLLECTOR_DIR"]), raw=path_text)
def test_path_variables_give_an_absolute_file_path_or_a_path_config_error(name, raw):
    with env_var(name, raw):
        try:
            path = path_from_env(name)
        except PathConfigError as exc:
            assert name in str(exc) and "\n" not in str(exc)
            return
    assert path is None or (path.is_absolute() and path.name)


@SLOWER
@given(raw=path_text)
@example(raw="/")
@example(raw="~nosuchuser123/w.duckdb")
@example(raw="x" * 300)
def test_cli_reports_a_bad_warehouse_path_with_a_code_not_a_crash(raw, capsys):
    from tracker.cli import main

    with env_var("DW_WAREHOUSE_PATH", raw), env_var("DW_DEBUG", None):
        code = main(["funding", "BTC"])
    err = capsys.readouterr().err
    assert code in (2, 4), err  # ERR_BAD_ARGUMENT or ERR_NO_DATA; 70 would be ERR_INTERNAL
    assert err.startswith(("ERR_BAD_ARGUMENT: ", "ERR_NO_DATA: ")) and "Traceback" not in err


# --- the runner's configuration of a run ------------------------------------------------------------------------

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), env_text),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(env_text, inner, max_size=3)),
    max_leaves=8,
)


@st.composite
def fault_texts(draw) -> str:
    if draw(st.integers(0, 5)) == 0:
        return draw(env_text)
    spec = {
        "kind": draw(st.one_of(st.sampled_from(["http_5xx", "reset", "timeout", "drift_rename"]), json_values)),
        "venue": draw(st.one_of(st.sampled_from(["okx", "binance"]), json_values)),
    }
    for key in draw(st.lists(st.sampled_from(["count", "path", "options"]), max_size=3, unique=True)):
        spec[key] = draw(json_values)
    text = json.dumps(spec)
    cut = draw(st.one_of(st.none(), st.integers(0, len(text))))  # sometimes truncated JSON
    return text if cut is None else text[:cut]


@FUZZ
@given(
    fault=st.one_of(st.none(), fault_texts()),
    now=st.one_of(st.none(), instants()),
    episode=st.one_of(st.none(), env_text, st.sampled_from(["long_squeeze:BTC@2026-10-01T00:00:00Z", "x:y@"])),
)
@example(fault='{"kind": "http_5xx", "venue": "okx", "count": "many"}', now=None, episode=None)
@example(fault='{"kind": "http_5xx", "venue": "okx", "options": 5}', now=None, episode=None)
@example(fault=None, now="0001-01-01T00:00:00+01:00", episode=None)
def test_run_pipeline_arguments_are_a_valid_run_or_a_usage_error(monkeypatch, fault, now, episode):
    """Whatever --fault/--now/--episode say, the runner either refuses them in argparse (exit 2) or hands over a
    run the simulator accepts: every fault must be one its FaultBook takes, the instant must be a UTC datetime."""
    from orchestration import run_pipeline
    from simulator.faults import FaultBook

    handed: list[tuple] = []
    monkeypatch.setattr(run_pipeline, "run", lambda *args: handed.append(args) or 0)
    argv = ["--simulator", "--days", "1"]
    argv += ["--fault", fault] if fault is not None else []
    argv += ["--now", now] if now is not None else []
    argv += ["--episode", episode] if episode is not None else []
    try:
        code = run_pipeline.main(argv)
    except SystemExit as exc:
        assert exc.code == 2
        return
    assert code == 0 and len(handed) == 1
    _days, _sim, _episodes, when, faults = handed[0]
    assert when is None or when.tzinfo == UTC
    for spec in faults:
        FaultBook().add(spec)  # raises if the simulator would refuse it mid-start


# --- files the product reads from disk --------------------------------------------------------------------------


@SLOWER
@given(content=st.one_of(st.binary(max_size=400), st.lists(json_values, max_size=4)))
@example(content=b'{"received_at": "2026-11-21T00:00:00Z", "message": "x"}\n\xff\xfe torn')
@example(content=b"1\n[]\nnull\n")
def test_collector_hour_file_of_any_bytes_reads_as_messages(tmp_path_factory, content):
    from ingest.streams.sink import hour_file, read_hour

    root = tmp_path_factory.mktemp("collector")
    hour = datetime(2026, 11, 21, 5, tzinfo=UTC)
    path = hour_file(root, "binance", hour)
    path.parent.mkdir(parents=True)
    if isinstance(content, list):
        content = "\n".join(json.dumps(v) for v in content).encode()
    path.write_bytes(content)
    messages = read_hour(root, "binance", hour)
    assert isinstance(messages, list) and all(isinstance(m, dict) for m in messages)


@pytest.fixture(scope="module")
def published_template(tmp_path_factory) -> bytes:
    """A small real published warehouse, whose bytes the file fuzzing cuts and corrupts."""
    from tests.reliability.harden_disk_ops import load
    from warehouse.publish import Publication, publish

    directory = tmp_path_factory.mktemp("published")
    warehouse = directory / "warehouse.duckdb"
    load(warehouse, "2026-11-19")
    return publish(warehouse, publication=Publication(run_id="fuzz")).read_bytes()


@SLOWER
@given(data=st.data())
def test_cli_on_a_truncated_or_garbage_published_file_says_no_data(tmp_path_factory, published_template, data, capsys):
    from tracker.cli import main

    how = data.draw(st.sampled_from(["truncate", "garbage", "flip"]))
    blob = published_template
    if how == "truncate":
        blob = blob[: data.draw(st.integers(0, len(blob) - 1))]
    elif how == "garbage":
        blob = data.draw(st.binary(max_size=5000))
    else:
        at = data.draw(st.integers(0, min(len(blob) - 1, 12287)))  # the headers: where corruption is caught
        blob = blob[:at] + bytes([blob[at] ^ 0xFF]) + blob[at + 1 :]
    directory = tmp_path_factory.mktemp("pub")
    (directory / "warehouse.published.duckdb").write_bytes(blob)
    with env_var("DW_WAREHOUSE_PATH", str(directory / "warehouse.duckdb")), env_var("DW_DEBUG", None):
        code = main(["funding", "BTC"])
    err = capsys.readouterr().err
    # A file without the marts is "no data"; a file that is not a warehouse at all is "no data" too.
    assert code == 4 and err.startswith("ERR_NO_DATA: "), (how, code, err)


@SLOWER
@given(blob=st.binary(max_size=3000), cut=st.booleans())
def test_alerts_ledger_of_any_bytes_is_a_clear_error_or_works(tmp_path_factory, blob, cut):
    import sqlite3

    from alerts.ledger import DeliveryLedger

    directory = tmp_path_factory.mktemp("ledger")
    path = directory / "alerts_delivery.sqlite"
    if cut:  # a real ledger cut short
        with DeliveryLedger(path) as book:
            book.delivered_ids()
        whole = path.read_bytes()
        blob = whole[: len(blob) % max(1, len(whole))]
    path.write_bytes(blob)
    try:
        with DeliveryLedger(path) as book:
            assert isinstance(book.delivered_ids(), set | frozenset | list | dict)
    except sqlite3.DatabaseError as exc:  # "file is not a database": the ledger's own storage error
        assert str(exc)
