"""Deribit datasets: what the registry exposes for this venue, with cadence and record shape.

Per-currency datasets (instruments, book summaries, trades) fetch each distinct currency of the configured
assets once (SOL and any other linear asset share USDC); per-asset datasets fetch each asset's perpetual,
index or DVOL. Not collected: per-instrument tickers (greeks are only there, and a chain costs one call per
strike: about 2,000 calls for BTC, ETH and USDC, two minutes of the whole credit pool every snapshot); open
interest history and long/short ratios (Deribit publishes none: the book-summary snapshots are the OI history).
"""

from __future__ import annotations

from ingest.shapes import RecordShape
from ingest.spec import Cadence, DatasetSpec
from ingest.venues.deribit import book, funding, instruments, symbols, trades, volatility
from ingest.venues.deribit.client import VENUE, make_client
from ingest.venues.deribit.records import Records

INSTRUMENTS = Records(
    ("result",),
    RecordShape(
        '{"instrument_name":"VARCHAR","kind":"VARCHAR","base_currency":"VARCHAR","settlement_currency":"VARCHAR",'
        '"contract_size":"DOUBLE","expiration_timestamp":"BIGINT","settlement_period":"VARCHAR","is_active":"BOOLEAN"}',
        is_list=True,
        key_fields=("instrument_name",),
        required_fields=("kind", "base_currency", "settlement_currency", "contract_size", "expiration_timestamp"),
    ),
)
OPTION_BOOK = Records(
    ("result",),
    RecordShape(
        '{"instrument_name":"VARCHAR","mark_price":"DOUBLE","mark_iv":"DOUBLE","open_interest":"DOUBLE",'
        '"underlying_price":"DOUBLE","underlying_index":"VARCHAR","creation_timestamp":"BIGINT"}',
        is_list=True,
        key_fields=("instrument_name",),
        required_fields=("mark_price", "mark_iv", "open_interest", "underlying_price", "creation_timestamp"),
    ),
)
FUTURE_BOOK = Records(
    ("result",),
    RecordShape(
        '{"instrument_name":"VARCHAR","mark_price":"DOUBLE","open_interest":"DOUBLE","funding_8h":"DOUBLE",'
        '"current_funding":"DOUBLE","creation_timestamp":"BIGINT"}',
        is_list=True,
        key_fields=("instrument_name",),
        required_fields=("mark_price", "open_interest", "creation_timestamp"),
    ),
)
INDEX_PRICE = Records(
    ("result",),
    # The body does not name its index (the request does); two indices never share a price to the cent.
    RecordShape(
        '{"index_price":"DOUBLE","estimated_delivery_price":"DOUBLE"}',
        is_list=False,
        key_fields=("index_price",),
        required_fields=("estimated_delivery_price",),
    ),
)
FUNDING_RATES = Records(
    ("result",),
    # Rows do not name their perpetual (the request does): within a day, the index price tells them apart.
    RecordShape(
        '{"timestamp":"BIGINT","index_price":"DOUBLE","prev_index_price":"DOUBLE","interest_1h":"DOUBLE",'
        '"interest_8h":"DOUBLE"}',
        is_list=True,
        key_fields=("timestamp", "index_price"),
        required_fields=("interest_1h", "interest_8h"),
        time_field="timestamp",
    ),
)
TRADES = Records(
    ("result", "trades"),
    RecordShape(
        '{"trade_id":"VARCHAR","timestamp":"BIGINT","instrument_name":"VARCHAR","price":"DOUBLE","amount":"DOUBLE",'
        '"direction":"VARCHAR"}',
        is_list=True,
        key_fields=("trade_id",),
        required_fields=("timestamp", "instrument_name", "price", "amount", "direction"),
        time_field="timestamp",
        # A currency can go a whole day without an option trade (USDC options are thin).
        allow_empty=True,
    ),
)
# DVOL candles are arrays [timestamp, open, high, low, close]: no field names for a record-level check.
DVOL_SHAPE = RecordShape(
    '{"result":{"data":"JSON","continuation":"BIGINT"}}',
    is_list=False,
    key_fields=("result.data",),
    required_fields=("result.data",),
)


def _per_currency(fetch):
    """A whole-venue fetch over the distinct currencies of the configured assets."""
    return lambda client, window: [
        page for currency in symbols.currencies(client.settings.assets) for page in fetch(client, currency, window)
    ]


DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        venue=VENUE,
        dataset="instruments",
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="Deribit listed futures (perpetuals included) and options per currency (/public/get_instruments).",
        make_client=make_client,
        shape=INSTRUMENTS.raw_check_shape(),
        whole_venue=_per_currency(lambda c, currency, w: instruments.fetch_instruments(c, currency)),
    ),
    DatasetSpec(
        venue=VENUE,
        dataset="book_summary_options",
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="Deribit option chain per currency: mark price (coin), mark IV (percent), open interest (coin), "
        "24 h volume, underlying (/public/get_book_summary_by_currency?kind=option), sampled hourly.",
        make_client=make_client,
        shape=OPTION_BOOK.raw_check_shape(),
        whole_venue=_per_currency(
            lambda c, currency, w: [book.fetch_book_summary(c, currency, "option", "book_summary_options")]
        ),
    ),
    DatasetSpec(
        venue=VENUE,
        dataset="book_summary_futures",
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="Deribit perpetuals and dated futures per currency: mark price, funding_8h and current_funding "
        "(perpetuals), open interest (USD for inverse, coin for linear) "
        "(/public/get_book_summary_by_currency?kind=future), sampled hourly.",
        make_client=make_client,
        shape=FUTURE_BOOK.raw_check_shape(),
        whole_venue=_per_currency(
            lambda c, currency, w: [book.fetch_book_summary(c, currency, "future", "book_summary_futures")]
        ),
    ),
    DatasetSpec(
        venue=VENUE,
        dataset="index_prices",
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="Deribit price index of each asset (btc_usd, eth_usd, sol_usdc; /public/get_index_price), "
        "sampled hourly.",
        make_client=make_client,
        shape=INDEX_PRICE.raw_check_shape(),
        per_asset=lambda c, asset, w: [book.fetch_index_price(c, asset)],
    ),
    DatasetSpec(
        venue=VENUE,
        dataset="funding_rates",
        cadence=Cadence.DAILY_HISTORY,
        description="Deribit perpetual funding, hourly rows (/public/get_funding_rate_history), one day per partition.",
        make_client=make_client,
        shape=FUNDING_RATES.raw_check_shape(),
        per_asset=funding.fetch_funding_history,
    ),
    DatasetSpec(
        venue=VENUE,
        dataset="dvol",
        cadence=Cadence.DAILY_HISTORY,
        description="Deribit DVOL (30-day implied volatility index, percent), hourly OHLC candles for BTC and ETH "
        "(/public/get_volatility_index_data), one day per partition.",
        make_client=make_client,
        shape=DVOL_SHAPE,
        per_asset=volatility.fetch_dvol,
    ),
    DatasetSpec(
        venue=VENUE,
        dataset="trades_futures",
        cadence=Cadence.DAILY_HISTORY,
        description="Deribit public futures trades per currency with their liquidation flags "
        "(/public/get_last_trades_by_currency_and_time?kind=future), one day per partition.",
        make_client=make_client,
        shape=TRADES.raw_check_shape(),
        whole_venue=_per_currency(
            lambda c, currency, w: trades.fetch_trades(c, currency, "future", w, "trades_futures")
        ),
    ),
    DatasetSpec(
        venue=VENUE,
        dataset="trades_options",
        cadence=Cadence.DAILY_HISTORY,
        description="Deribit public options trades per currency, block trades flagged "
        "(/public/get_last_trades_by_currency_and_time?kind=option), one day per partition.",
        make_client=make_client,
        shape=TRADES.raw_check_shape(),
        whole_venue=_per_currency(
            lambda c, currency, w: trades.fetch_trades(c, currency, "option", w, "trades_options")
        ),
    ),
)
