"""When each job runs (UTC): the schedules use these, and the freshness checks derive their deadlines from
them, so moving a schedule moves its deadline."""

SNAPSHOT_CRON = "5 * * * *"
STREAM_LOADS_CRON = "7 * * * *"
HISTORY_CRON = "10 * * * *"
MARTS_CRON = "20 * * * *"
