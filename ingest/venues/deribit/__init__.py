"""Deribit v2 public REST (www.deribit.com/api/v2/public/<method>): instruments, book summaries (the option
chain and the futures with their funding), index prices, funding-rate history, DVOL history and public trades
(liquidation flags on futures, block trades on options). Every answer is a JSON-RPC envelope; errors can
arrive in it whatever the HTTP status, and all public methods draw on one credit pool per IP."""
