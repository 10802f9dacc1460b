from ingest.ratelimit import WindowBudget


class FakeClock:
    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


def test_budget_waits_for_next_window_instead_of_exceeding():
    clock = FakeClock(60.0 * 100 + 10)  # 10 s into a minute window
    budget = WindowBudget("w", limit=10, window_seconds=60, safety=1.0, clock=clock, sleep=clock.sleep)
    for _ in range(10):
        budget.acquire(1)
    assert budget.used == 10
    budget.acquire(1)  # must wait for the next window: 50 s (+ a small margin)
    assert 50 <= budget.waited_seconds <= 50.1
    assert budget.used == 1


def test_safety_margin_and_venue_reported_usage():
    clock = FakeClock(0.5)
    budget = WindowBudget("w", limit=100, window_seconds=60, safety=0.9, clock=clock, sleep=clock.sleep)
    budget.observe(85)  # another process on our IP spent 85 of 100
    budget.acquire(5)  # 90 <= 90 fits
    assert budget.waited_seconds == 0
    budget.acquire(1)  # 91 > 90: wait for the window to roll
    assert budget.waited_seconds > 59


def test_exhaust_after_429_blocks_rest_of_window():
    clock = FakeClock(30.0)
    budget = WindowBudget("w", limit=100, window_seconds=60, clock=clock, sleep=clock.sleep)
    budget.exhaust()
    budget.acquire(1)
    assert 30 <= budget.waited_seconds <= 30.1


def test_token_bucket_paces_to_the_refill_rate():
    from ingest.ratelimit import TokenBucket

    clock = FakeClock(0.0)
    # Deribit: 50,000 credits refilled at 10,000/s, 500 per request -> bursts of ~90, then 20 requests/s.
    bucket = TokenBucket("credits", 50_000, 10_000, safety=0.9, clock=clock, sleep=clock.sleep)
    for _ in range(90):
        bucket.acquire(500)
    assert bucket.waited_seconds == 0
    for _ in range(20):
        bucket.acquire(500)
    assert 0.99 <= bucket.waited_seconds <= 1.2  # 20 more requests take about one second
