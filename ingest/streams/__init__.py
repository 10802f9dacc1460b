"""Websocket collectors for data that venues publish only live (liquidations on Binance, Bybit, BitMEX).

A collector is a long-running process: it connects, subscribes, answers heartbeats, appends every raw
message to an hourly file with fsync, and reconnects with backoff (resubscribing) when the stream drops.
Closed hours are loaded into the raw layer by a partitioned asset, like any other raw dataset.
"""
