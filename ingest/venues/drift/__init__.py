"""Drift (Solana) perpetuals through the Drift Data API (data.api.drift.trade): market stats snapshots,
hourly funding settlements and candles by UTC day."""
