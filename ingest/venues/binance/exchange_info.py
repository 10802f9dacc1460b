"""The instrument lists of both futures hosts: `/fapi/v1/exchangeInfo` (USD-M perpetuals and the BTCUSDT_YYMMDD
quarterlies) and `/dapi/v1/exchangeInfo` (COIN-M perpetuals and delivery contracts), weight 1 each.

Each body is `{"timezone", "serverTime", "rateLimits", ..., "symbols": [...]}`. A symbol carries `contractType`
(PERPETUAL, CURRENT_QUARTER, NEXT_QUARTER), `deliveryDate` (2100-12-25 for perpetuals), base, quote and margin
assets; USD-M says `status`, COIN-M `contractStatus` and adds `contractSize` (USD per contract). The whole lists
are kept, every asset's contracts: instruments are the venue's reference data, not per-asset series.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ingest.envelope import RawResponse
from ingest.http import VenueClient
from ingest.venues.binance import coinm

USDM_EXCHANGE_INFO = "/fapi/v1/exchangeInfo"
DATASET = "exchange_info"


@contextmanager
def on_host(client: VenueClient, make_client: Callable[..., VenueClient]) -> Iterator[VenueClient]:
    """A client for another Binance host within the same partition fetch: same settings, retry policy,
    transport and timeout, and the same failure list, so that every failed body of the partition is kept;
    its requests count as this client's."""
    other = make_client(
        client.settings,
        retry=client.retry,
        transport=client.transport,
        timeout=client.timeout,
        failures=client.failures,
    )
    try:
        yield other
    finally:
        client.request_count += other.request_count
        other.close()


def fetch_instrument_lists(client: VenueClient) -> list[RawResponse]:
    """USD-M's list with the fapi `client`, then COIN-M's from dapi."""
    usdm, _ = client.get_json(USDM_EXCHANGE_INFO, {}, dataset=DATASET, costs={"weight": 1})
    with on_host(client, coinm.make_client) as dapi:
        coin_margined, _ = dapi.get_json(coinm.EXCHANGE_INFO, {}, dataset=DATASET, costs={coinm.WEIGHT: 1})
    return [usdm, coin_margined]
