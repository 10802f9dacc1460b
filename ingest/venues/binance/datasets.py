"""Binance datasets: what the registry exposes for this venue, with cadence and record shape."""

from __future__ import annotations

from ingest.shapes import RecordShape
from ingest.spec import Cadence, DatasetSpec
from ingest.venues.binance import usdm

DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        venue="binance",
        dataset="funding_rates",
        cadence=Cadence.DAILY_HISTORY,
        description="Binance USD-M settled funding rates (/fapi/v1/fundingRate), one day per partition.",
        make_client=usdm.make_client,
        shape=RecordShape(
            '{"symbol":"VARCHAR","fundingTime":"BIGINT","fundingRate":"VARCHAR"}',
            is_list=True,
            key_fields=("symbol", "fundingTime"),
            required_fields=("fundingRate",),
            time_field="fundingTime",
        ),
        per_asset=lambda c, asset, w: usdm.fetch_funding_history(c, usdm.usdm_symbol(asset), w),
    ),
    DatasetSpec(
        venue="binance",
        dataset="premium_index",
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="Binance USD-M mark/index price, current funding rate and next funding time "
        "(/fapi/v1/premiumIndex), sampled hourly.",
        make_client=usdm.make_client,
        shape=RecordShape(
            '{"symbol":"VARCHAR","time":"BIGINT","lastFundingRate":"VARCHAR","nextFundingTime":"BIGINT","markPrice":"VARCHAR"}',
            is_list=False,
            key_fields=("symbol", "time"),
            required_fields=("lastFundingRate", "nextFundingTime", "markPrice"),
        ),
        per_asset=lambda c, asset, w: [usdm.fetch_premium_index(c, usdm.usdm_symbol(asset))],
    ),
    DatasetSpec(
        venue="binance",
        dataset="funding_info",
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="Binance USD-M funding intervals and caps of adjusted symbols (/fapi/v1/fundingInfo).",
        make_client=usdm.make_client,
        shape=RecordShape(
            '{"symbol":"VARCHAR","fundingIntervalHours":"INTEGER"}',
            is_list=True,
            key_fields=("symbol",),
            required_fields=("fundingIntervalHours",),
            allow_empty=True,
        ),
        whole_venue=lambda c, w: [usdm.fetch_funding_info(c)],
    ),
    DatasetSpec(
        venue="binance",
        dataset="open_interest",
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="Binance USD-M open interest in base coin (/fapi/v1/openInterest), sampled hourly.",
        make_client=usdm.make_client,
        shape=RecordShape(
            '{"symbol":"VARCHAR","openInterest":"VARCHAR","time":"BIGINT"}',
            is_list=False,
            key_fields=("symbol", "time"),
            required_fields=("openInterest",),
        ),
        per_asset=lambda c, asset, w: [usdm.fetch_open_interest(c, usdm.usdm_symbol(asset))],
    ),
)
