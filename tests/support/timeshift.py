"""Run the whole suite with the wall clock moved (``MONITOR_TEST_SHIFT_DAYS``).

CI runs the non-model suite once more a year ahead: a test that stores data on a fixed date and
then asks a command about the real "now" (a date bomb) fails the day it is written, not when
the calendar catches up with it. time-machine moves ``time.time``, ``datetime.now`` and friends
for every thread of this process; the monotonic clocks that timeouts use are left alone.
"""

from __future__ import annotations

import os
from datetime import timedelta

SHIFT_DAYS = "MONITOR_TEST_SHIFT_DAYS"


def shift_wall_clock(environ: os._Environ[str] | dict[str, str] = os.environ) -> int:
    """Move this process's wall clock by the environment's number of days; return them."""
    days = int(environ.get(SHIFT_DAYS) or 0)
    if days:
        import time_machine

        time_machine.travel(timedelta(days=days), tick=True).start()
    return days
