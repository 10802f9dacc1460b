"""Binance USD-M futures (fapi)."""
