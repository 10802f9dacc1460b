"""Binance: USD-M futures (fapi: usdm, statistics, klines), COIN-M futures (dapi: coinm), spot (api: spot) and
the futures instrument lists of both (exchange_info). One protocol for the three hosts, a client and weight
budget per host, symbols mapped from assets in one place (symbols), paging shared (paging)."""
