"""OKX's HTTP conventions: the `{"code","msg","data"}` envelope, its error codes and how they map to typed errors.

A response is usable only when its body says `"code":"0"`, whatever the HTTP status: OKX answers some errors
with HTTP 200 (51001 unknown instrument). Codes and statuses follow the docs-v5 error table
(reference/exchange_api.md section 3; reference/reliability.md 4.3):

- 50011 (HTTP 429) is the per-endpoint limit and 50061 the sub-account limit. OKX sends no Retry-After and no
  usage headers, so the retry policy backs off and the budgets wait for their next window.
- 50001 (503, service temporarily unavailable), 50004 (endpoint request timeout), 50005 (410, API offline),
  50013 (system busy) and 50026 (500, system error) are the venue being down or overloaded: retried.
- 51001 (HTTP 200) is an instrument OKX does not know (delisted, or a wrong id): permanent for that asset.
- 50000, 50002, 50014, 50015, 50016 and 51000 (HTTP 400) are our request's fault; 50100-50113 (HTTP 401) are
  credential errors, which public market data should never meet. Neither is worth retrying.
- HTTP 403 and 451 come from the CDN or a restricted region, before OKX's own code: stop, do not retry.
"""

from __future__ import annotations

import json

import httpx

from ingest.errors import BadRequest, Banned, ExchangeDown, ExchangeError, RateLimited, SchemaDrift, SymbolInvalid

OK = "0"
RATE_LIMIT_CODES = frozenset({"50011", "50061"})
VENUE_DOWN_CODES = frozenset({"50001", "50004", "50005", "50013", "50026"})
UNKNOWN_INSTRUMENT_CODES = frozenset({"51001"})


def _retry_after(response: httpx.Response) -> float | None:
    """OKX does not document Retry-After; honour it should a proxy in front of it add one."""
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def _envelope(response: httpx.Response) -> dict | None:
    try:
        body = json.loads(response.text)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def classify(response: httpx.Response) -> ExchangeError | None:
    status = response.status_code
    body = _envelope(response)
    code = str(body.get("code")) if body is not None and "code" in body else None
    msg = str(body.get("msg", "")) if body is not None else response.text[:200]
    where = f"HTTP {status} code={code} msg={msg!r}"
    if status == 429 or code in RATE_LIMIT_CODES:
        return RateLimited(f"rate limited: {where}", retry_after=_retry_after(response), status=status)
    if status in (403, 451):
        reason = "blocked by the CDN or firewall" if status == 403 else "restricted location"
        return Banned(f"{reason}: {where}", status=status)
    if status >= 500 or code in VENUE_DOWN_CODES:
        return ExchangeDown(f"OKX unavailable: {where}", status=status)
    if body is None:
        # A 200 that is not a JSON object is a cut-off or replaced body: the HTTP layer reports it as
        # (retryable) drift. Any other status without an OKX envelope is a page that is not OKX's answer.
        return None if status == 200 else BadRequest(f"unexpected answer: {where}", status=status)
    if code is None:
        return SchemaDrift(f"body without OKX's `code` field: {where}", field="code", status=status)
    if code == OK and status == 200:
        return None
    if code in UNKNOWN_INSTRUMENT_CODES:
        return SymbolInvalid(f"unknown instrument: {where}", status=status)
    return BadRequest(f"request refused: {where}", status=status)


def auth_headers(key: str) -> dict[str, str]:
    """None: public market data needs no key, and OKX authenticates with a signature over key, secret and
    passphrase, so a bare key header would only invite 50113 (invalid signature) on some gateways."""
    return {}
