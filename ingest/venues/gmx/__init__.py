"""GMX v2 on Arbitrum through its oracle REST API (arbitrum-api.gmxinfra.io).

GMX keeps no REST history of funding or open interest: the hourly snapshots of `/markets/info` that
this package lands are the history (SPEC section 3, "sample it").
"""
