from __future__ import annotations

import pytest

from tests.alerts.helpers import Receiver


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()
