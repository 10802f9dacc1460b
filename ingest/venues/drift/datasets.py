"""Drift datasets: the market stats snapshot (hourly), settled funding and candles (daily history).

Every Drift answer wraps its records (`{"success", "markets": [...]}`, `{"success", "records": [...]}`),
and the raw check cannot look inside a wrapped list yet: it sees one record per response. So the shapes
check the envelope: a renamed or missing list fails the check, and a page answered twice (identical
`records`) is a duplicate; a field renamed inside the records, and the partition-window check on `ts`
(unix seconds, where the check expects epoch ms), wait for the raw check to learn both.
"""

from __future__ import annotations

from ingest.shapes import RecordShape
from ingest.spec import Cadence, DatasetSpec
from ingest.venues.drift import candles, funding, stats
from ingest.venues.drift.client import VENUE, make_client, perp_symbol

MARKET_ROW = (
    '{"symbol":"VARCHAR","marketIndex":"INTEGER","marketType":"VARCHAR","status":"VARCHAR",'
    '"oraclePrice":"VARCHAR","markPrice":"VARCHAR","openInterest":{"long":"VARCHAR","short":"VARCHAR"},'
    '"fundingRate":{"long":"VARCHAR","short":"VARCHAR"},"fundingRate24h":"VARCHAR","fundingRateUpdateTs":"BIGINT"}'
)
FUNDING_RECORD = (
    '{"ts":"BIGINT","txSig":"VARCHAR","recordId":"VARCHAR","symbol":"VARCHAR","marketIndex":"INTEGER",'
    '"fundingRate":"VARCHAR","fundingRateLong":"VARCHAR","fundingRateShort":"VARCHAR",'
    '"oraclePriceTwap":"VARCHAR","markPriceTwap":"VARCHAR"}'
)
PAGING_META = '{"totalRecords":"INTEGER","currentPage":"INTEGER","totalPages":"INTEGER","nextPage":"VARCHAR"}'
CANDLE = (
    '{"ts":"BIGINT","fillOpen":"DOUBLE","fillHigh":"DOUBLE","fillLow":"DOUBLE","fillClose":"DOUBLE",'
    '"oracleOpen":"DOUBLE","oracleHigh":"DOUBLE","oracleLow":"DOUBLE","oracleClose":"DOUBLE",'
    '"quoteVolume":"DOUBLE","baseVolume":"DOUBLE"}'
)

DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        venue=VENUE,
        dataset="markets",
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="Drift market stats (/stats/markets): oracle and mark price, long/short open interest "
        "(base units), current hourly funding per side (percent) and its 24h mean, sampled hourly; "
        "the perp rows are the instrument list.",
        make_client=make_client,
        shape=RecordShape(f'{{"success":"BOOLEAN","markets":[{MARKET_ROW}]}}', is_list=False, key_fields=("markets",)),
        whole_venue=lambda c, w: [stats.fetch_market_stats(c)],
    ),
    DatasetSpec(
        venue=VENUE,
        dataset="funding_rates",
        cadence=Cadence.DAILY_HISTORY,
        description="Drift settled hourly funding (/market/{symbol}/fundingRates/{year}/{month}/{day}), "
        "one UTC day per partition, 24 settlements per market.",
        make_client=make_client,
        shape=RecordShape(
            f'{{"success":"BOOLEAN","records":[{FUNDING_RECORD}],"meta":{PAGING_META}}}',
            is_list=False,
            key_fields=("records",),
            required_fields=("meta",),
        ),
        per_asset=lambda c, asset, w: funding.fetch_funding_days(c, perp_symbol(asset), w),
    ),
    DatasetSpec(
        venue=VENUE,
        dataset="candles",
        cadence=Cadence.DAILY_HISTORY,
        description="Drift 5-minute candles (/market/{symbol}/candles/5): fill and oracle OHLC, quote and "
        "base volume, one UTC day per partition.",
        make_client=make_client,
        shape=RecordShape(f'{{"success":"BOOLEAN","records":[{CANDLE}]}}', is_list=False, key_fields=("records",)),
        per_asset=lambda c, asset, w: candles.fetch_candles(c, perp_symbol(asset), w),
    ),
)
