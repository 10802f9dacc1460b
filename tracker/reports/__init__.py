"""One module per report: a query of the published marts, a table layout and a JSON shape."""
