"""OKX datasets: what the registry exposes for this venue, with cadence and record shape.

Every OKX answer is an envelope `{"code":"0","msg":"","data":[...]}`, while the shared raw check
(warehouse/raw_checks.py) reads records at the top level of a payload. Until it can be told where the records
sit, each shape describes one response, one of two ways:

- a page that always holds records (`okx_page`): its key, required fields and time field are those of the
  page's first record (`data[1]`; in histories the newest, as OKX lists newest first). That catches a page
  served twice (a cursor that did not move), a renamed or dropped field (drift hits every record alike), an
  emptied page (its first record is missing) and, in histories, a window whose end leaked into the next day;
- a page that may be empty (`okx_envelope`: an asset without options, an hour without liquidations, a day
  whose first hour has not closed): the check sees `code` and `data` only.

The check's "records" count is then the number of responses.
"""

from __future__ import annotations

from ingest.shapes import RecordShape
from ingest.spec import Cadence, DatasetSpec
from ingest.venues.okx import candles, funding, liquidations, public_data, rubik, tickers
from ingest.venues.okx.client import VENUE, make_client
from ingest.venues.okx.symbols import swap_inst_id

FIRST = "data[1]"


def first(*fields: str) -> tuple[str, ...]:
    """The paths of fields of a page's first record."""
    return tuple(f"{FIRST}.{f}" for f in fields)


def _structure(record: str) -> str:
    return f'{{"code":"VARCHAR","msg":"VARCHAR","data":[{record}]}}'


def okx_page(
    record: str, key: tuple[str, ...], required: tuple[str, ...] = (), time_field: str | None = None
) -> RecordShape:
    """A response whose `data` always holds records, seen through its first record."""
    return RecordShape(
        _structure(record),
        is_list=False,
        key_fields=first(*key),
        required_fields=("code", *first(*required)),
        time_field=first(time_field)[0] if time_field else None,
    )


def okx_envelope(record: str) -> RecordShape:
    """A response whose `data` may legitimately be empty: the envelope must be there, the records may not."""
    return RecordShape(
        _structure(record), is_list=False, key_fields=(), required_fields=("code", "data"), allow_empty=True
    )


INSTRUMENT = (
    '{"instId":"VARCHAR","instType":"VARCHAR","instFamily":"VARCHAR","uly":"VARCHAR","ctVal":"VARCHAR",'
    '"ctMult":"VARCHAR","ctValCcy":"VARCHAR","ctType":"VARCHAR","settleCcy":"VARCHAR","expTime":"BIGINT",'
    '"stk":"VARCHAR","optType":"VARCHAR","state":"VARCHAR","listTime":"BIGINT"}'
)
TICKER = (
    '{"instId":"VARCHAR","instType":"VARCHAR","last":"VARCHAR","bidPx":"VARCHAR","askPx":"VARCHAR",'
    '"open24h":"VARCHAR","vol24h":"VARCHAR","volCcy24h":"VARCHAR","ts":"BIGINT"}'
)
STAT_ROW = '["VARCHAR"]'  # rubik rows and candles are arrays of strings, the time first


def _spec(dataset: str, cadence: Cadence, description: str, shape: RecordShape, **fetch) -> DatasetSpec:
    return DatasetSpec(VENUE, dataset, cadence, description, make_client, shape, **fetch)


DATASETS: tuple[DatasetSpec, ...] = (
    _spec(
        "instruments",
        Cadence.HOURLY_SNAPSHOT,
        "OKX instrument lists (/public/instruments): every perpetual and dated future, and the options of the "
        "configured assets; contract value, multiplier, expiry, strike, state.",
        okx_envelope(INSTRUMENT),
        whole_venue=lambda c, w: public_data.fetch_whole_venue(c, "public/instruments", "instruments"),
        per_asset=lambda c, asset, w: [public_data.fetch_options(c, "public/instruments", asset, "instruments")],
    ),
    _spec(
        "funding_rate",
        Cadence.HOURLY_SNAPSHOT,
        "OKX perpetual funding now (/public/funding-rate): the open period's rate, its settlement time and the "
        "next one (interval = nextFundingTime - fundingTime), the last settled rate; sampled hourly.",
        okx_page(
            '{"instId":"VARCHAR","fundingRate":"VARCHAR","fundingTime":"BIGINT","nextFundingTime":"BIGINT",'
            '"nextFundingRate":"VARCHAR","method":"VARCHAR","settFundingRate":"VARCHAR","ts":"BIGINT"}',
            key=("instId", "ts"),
            required=("fundingRate", "fundingTime", "nextFundingTime"),
        ),
        per_asset=lambda c, asset, w: [funding.fetch_current_funding(c, swap_inst_id(asset))],
    ),
    _spec(
        "funding_rate_history",
        Cadence.DAILY_HISTORY,
        "OKX settled funding (/public/funding-rate-history), one day per partition; OKX keeps about three months.",
        okx_page(
            '{"instId":"VARCHAR","fundingRate":"VARCHAR","realizedRate":"VARCHAR","fundingTime":"BIGINT",'
            '"method":"VARCHAR"}',
            key=("instId", "fundingTime"),
            required=("fundingRate",),
            time_field="fundingTime",
        ),
        per_asset=lambda c, asset, w: funding.fetch_funding_history(c, swap_inst_id(asset), w),
    ),
    _spec(
        "mark_price",
        Cadence.HOURLY_SNAPSHOT,
        "OKX mark prices (/public/mark-price): every perpetual and dated future, and the configured assets' "
        "options (in coin); sampled hourly.",
        okx_envelope('{"instId":"VARCHAR","instType":"VARCHAR","markPx":"VARCHAR","ts":"BIGINT"}'),
        whole_venue=lambda c, w: public_data.fetch_whole_venue(c, "public/mark-price", "mark_price"),
        per_asset=lambda c, asset, w: [public_data.fetch_options(c, "public/mark-price", asset, "mark_price")],
    ),
    _spec(
        "index_tickers",
        Cadence.HOURLY_SNAPSHOT,
        "OKX index prices (/market/index-tickers) quoted in USD and USDT, with 24 h open/high/low; sampled hourly.",
        okx_page('{"instId":"VARCHAR","idxPx":"VARCHAR","ts":"BIGINT"}', key=("instId", "ts"), required=("idxPx",)),
        whole_venue=lambda c, w: tickers.fetch_index_tickers(c),
    ),
    _spec(
        "open_interest",
        Cadence.HOURLY_SNAPSHOT,
        "OKX open interest now (/public/open-interest) in contracts (oi), coin (oiCcy) and USD (oiUsd): every "
        "perpetual and dated future, and the configured assets' options; sampled hourly.",
        okx_envelope(
            '{"instId":"VARCHAR","instType":"VARCHAR","oi":"VARCHAR","oiCcy":"VARCHAR","oiUsd":"VARCHAR","ts":"BIGINT"}'
        ),
        whole_venue=lambda c, w: public_data.fetch_whole_venue(c, "public/open-interest", "open_interest"),
        per_asset=lambda c, asset, w: [public_data.fetch_options(c, "public/open-interest", asset, "open_interest")],
    ),
    _spec(
        "open_interest_history",
        Cadence.DAILY_HISTORY,
        "OKX hourly open interest of each asset's perpetual (/rubik/stat/contracts/open-interest-history), rows "
        "[ts, contracts, coin, USD], one day per partition; OKX keeps 60 days of hours.",
        okx_envelope(STAT_ROW),
        per_asset=lambda c, asset, w: rubik.fetch_open_interest_history(c, swap_inst_id(asset), w),
    ),
    _spec(
        "long_short_account_ratio",
        Cadence.DAILY_HISTORY,
        "OKX hourly long/short account ratio of each asset's perpetual "
        "(/rubik/stat/contracts/long-short-account-ratio-contract), one day per partition; 60 days kept.",
        okx_envelope(STAT_ROW),
        per_asset=lambda c, asset, w: rubik.fetch_long_short_ratio(c, swap_inst_id(asset), w),
    ),
    _spec(
        "liquidation_orders",
        Cadence.HOURLY_SNAPSHOT,
        "OKX liquidation orders of each asset's perpetuals over the venue's recent day "
        "(/public/liquidation-orders): side, posSide, bankruptcy price, size in contracts; snapshotted hourly.",
        okx_envelope(
            '{"instId":"VARCHAR","instFamily":"VARCHAR","instType":"VARCHAR","details":[{"side":"VARCHAR",'
            '"posSide":"VARCHAR","bkPx":"VARCHAR","sz":"VARCHAR","bkLoss":"VARCHAR","ts":"BIGINT"}]}',
        ),
        per_asset=lambda c, asset, w: liquidations.fetch_liquidations(c, asset),
    ),
    _spec(
        "option_summary",
        Cadence.HOURLY_SNAPSHOT,
        "OKX option chain greeks and implied vols (/public/opt-summary) of the configured assets: markVol, "
        "bidVol, askVol (fractions), forward, coin and Black-Scholes greeks; sampled hourly.",
        okx_envelope(
            '{"instId":"VARCHAR","uly":"VARCHAR","markVol":"VARCHAR","bidVol":"VARCHAR","askVol":"VARCHAR",'
            '"fwdPx":"VARCHAR","delta":"VARCHAR","gamma":"VARCHAR","theta":"VARCHAR","vega":"VARCHAR",'
            '"deltaBS":"VARCHAR","gammaBS":"VARCHAR","thetaBS":"VARCHAR","vegaBS":"VARCHAR","ts":"BIGINT"}'
        ),
        per_asset=lambda c, asset, w: [public_data.fetch_option_summary(c, asset)],
    ),
    _spec(
        "option_tickers",
        Cadence.HOURLY_SNAPSHOT,
        "OKX option tickers (/market/tickers?instType=OPTION) of the configured assets: last, bid, ask (coin), "
        "24 h volume in contracts and coin; sampled hourly.",
        okx_envelope(TICKER),
        per_asset=lambda c, asset, w: [tickers.fetch_option_tickers(c, asset)],
    ),
    _spec(
        "futures_tickers",
        Cadence.HOURLY_SNAPSHOT,
        "OKX dated futures tickers (/market/tickers?instType=FUTURES) for the whole venue; sampled hourly.",
        okx_page(TICKER, key=("instId", "ts"), required=("last",)),
        whole_venue=lambda c, w: [tickers.fetch_futures_tickers(c)],
    ),
    _spec(
        "candles",
        Cadence.DAILY_HISTORY,
        "OKX hourly candles of each asset's perpetual (/market/candles, /market/history-candles for older days), "
        "closed bars only, one day per partition.",
        okx_envelope(STAT_ROW),
        per_asset=lambda c, asset, w: candles.fetch_candles(c, swap_inst_id(asset), w),
    ),
)
