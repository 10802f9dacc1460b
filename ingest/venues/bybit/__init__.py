"""Bybit v5 public market data (api.bybit.com): instruments, tickers, option chains, funding, open interest,
long/short account ratio and hourly candles. Liquidations come from the websocket collector in ingest/streams."""
