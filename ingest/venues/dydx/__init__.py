"""The dYdX v4 indexer (indexer.dydx.trade/v4): perpetual markets snapshots, hourly funding, hourly candles (their
`startingOpenInterest` is the open-interest history) and trades (LIQUIDATED and DELEVERAGED fills are the
liquidations). Public, no keys; every number a string, times ISO-8601 plus block heights, newest first."""
