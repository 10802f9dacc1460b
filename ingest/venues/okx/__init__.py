"""OKX v5 public market data (www.okx.com/api/v5): perpetual funding, open interest, prices, dated futures,
options, liquidations, candles and the rubik statistics, as raw pages for the warehouse's landing tables."""
