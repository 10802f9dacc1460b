{#- Every raw source table by cadence, for models that read all of them (marts/quality/fct_source_freshness).
    The cadences are those of the ingest registry (ingest/venues/<venue>/datasets.py) and of the websocket
    streams (ingest/streams/specs.py), which dbt cannot import; the names are the sources' (venue, table).
    A static list rather than `graph.sources` because the graph is empty at parse time, so source() calls
    made from it would leave the model without lineage. tests/dbt/test_source_freshness_mart.py fails when
    this list and the registry disagree. -#}
{% macro raw_source_cadences() %}
    {{ return({
        'hourly_snapshot': {
            'binance': ['coinm_open_interest', 'coinm_premium_index', 'exchange_info', 'funding_info',
                        'open_interest', 'premium_index', 'spot_prices'],
            'bitmex': ['indices', 'instruments'],
            'bybit': ['instruments', 'option_tickers', 'tickers'],
            'deribit': ['book_summary_futures', 'book_summary_options', 'index_prices', 'instruments'],
            'drift': ['markets'],
            'dydx': ['perpetual_markets'],
            'gmx': ['markets', 'markets_info', 'tickers'],
            'okx': ['funding_rate', 'futures_tickers', 'index_tickers', 'instruments', 'liquidation_orders',
                    'mark_price', 'open_interest', 'option_summary', 'option_tickers'],
        },
        'daily_history': {
            'binance': ['coinm_funding_rates', 'funding_rates', 'klines_1h', 'long_short_ratio',
                        'open_interest_history', 'taker_long_short_ratio'],
            'bitmex': ['candles_1h', 'funding_rates'],
            'bybit': ['candles_1h', 'funding_rates', 'long_short_ratio', 'open_interest_history'],
            'deribit': ['dvol', 'funding_rates', 'trades_futures', 'trades_options'],
            'drift': ['candles', 'funding_rates'],
            'dydx': ['candles_1h', 'funding_rates', 'trades'],
            'okx': ['candles', 'funding_rate_history', 'long_short_account_ratio', 'open_interest_history'],
        },
        'hourly_stream': {
            'binance': ['liquidations'],
            'bitmex': ['liquidations'],
            'bybit': ['liquidations'],
        },
    }) }}
{% endmacro %}
