"""BitMEX v1 (www.bitmex.com/api/v1): instrument and index snapshots, funding settlements and hourly trade bins.

Liquidations are not here: BitMEX's REST `/liquidation` lists only orders resting on the book, so they come from
the websocket collector in ingest/streams.
"""
