import httpx

from ingest.errors import BadRequest, Banned, ExchangeDown, RateLimited, SymbolInvalid
from ingest.venues.binance.protocol import classify


def _resp(status, body, headers=None):
    return httpx.Response(status, text=body, headers=headers or {})


def test_ok_is_not_an_error():
    assert classify(_resp(200, "[]")) is None


def test_429_carries_retry_after_seconds():
    err = classify(_resp(429, '{"code":-1003,"msg":"Too many requests"}', {"Retry-After": "17"}))
    assert isinstance(err, RateLimited) and err.retry_after == 17.0


def test_418_ban_parses_the_until_timestamp_from_the_body():
    # The real body Binance sends (reference/reliability.md 4.1).
    body = '{"code":-1003,"msg":"Way too much request weight used; IP banned until 1620286253180."}'
    err = classify(_resp(418, body, {"Retry-After": "120"}))
    assert isinstance(err, Banned)
    assert int(err.until.timestamp() * 1000) == 1620286253180


def test_waf_and_geo_blocks_are_bans():
    assert isinstance(classify(_resp(403, "<html>403 Forbidden</html>")), Banned)
    assert isinstance(classify(_resp(451, '{"code":0,"msg":"restricted location"}')), Banned)


def test_invalid_symbol_and_other_client_errors():
    assert isinstance(classify(_resp(400, '{"code":-1121,"msg":"Invalid symbol."}')), SymbolInvalid)
    assert isinstance(classify(_resp(400, '{"code":-1102,"msg":"Mandatory parameter"}')), BadRequest)


def test_server_errors_are_exchange_down():
    assert isinstance(classify(_resp(503, "Service Unavailable")), ExchangeDown)
