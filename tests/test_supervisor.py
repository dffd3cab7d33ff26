"""``serve --workers N``'s supervisor (verdigris.cli.workers.Supervisor), tick by tick with
stand-in processes: who is replaced, when, and when the command gives up. The real
processes are in tests/test_workers.py."""

from __future__ import annotations

import itertools
import threading
from typing import Any

from verdigris.cli import workers
from verdigris.cli.workers import RESTART_MAX_SECONDS, Supervisor, _Slot

_pids = itertools.count(1000)


class FakeProcess:
    """A worker process: alive until :meth:`exit`."""

    def __init__(self) -> None:
        self.pid = next(_pids)
        self.exitcode: int | None = None

    def is_alive(self) -> bool:
        return self.exitcode is None

    def exit(self, code: int) -> None:
        self.exitcode = code


class Starts:
    """The supervisor's ``start``: a new stand-in each time, with the failures it got."""

    def __init__(self) -> None:
        self.slots: list[_Slot] = []
        self.failures: list[int] = []

    def __call__(self, failures: int) -> _Slot:
        self.failures.append(failures)
        slot = _Slot(FakeProcess(), threading.Event(), failures)  # type: ignore[arg-type]
        self.slots.append(slot)
        return slot

    def ready(self, slot: _Slot) -> None:
        assert slot.ready is not None
        slot.ready.set()

    def process(self, slot: _Slot) -> Any:
        return slot.process


def _serving(count: int) -> tuple[Supervisor, Starts]:
    starts = Starts()
    sup = Supervisor(count, starts)
    for slot in starts.slots:
        starts.ready(slot)
    assert sup.tick(0.0) is None
    assert not sup.starting
    return sup, starts


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [workers.restart_delay(n) for n in range(7)] == [0, 2, 4, 8, 16, 30, 30]
    # a database down overnight: thousands of failed starts in a row
    assert workers.restart_delay(1024) == workers.restart_delay(10**6) == 30
    assert RESTART_MAX_SECONDS == 30


def test_a_worker_that_served_is_replaced_at_once() -> None:
    sup, starts = _serving(2)
    starts.process(starts.slots[0]).exit(1)
    assert sup.tick(10.0) is None  # noted: due now
    assert sup.slots[0].process is None and sup.slots[0].not_before == 10.0
    assert sup.tick(10.0) is None  # started
    assert len(starts.slots) == 3 and starts.failures[-1] == 0
    assert sup.slots[0] is starts.slots[2] and sup.slots[1] is starts.slots[1]


def test_replacements_that_fail_to_start_back_off_then_recover() -> None:
    sup, starts = _serving(2)
    now = 100.0
    starts.process(starts.slots[0]).exit(-9)  # killed after serving
    sup.tick(now)
    sup.tick(now)
    waits = []
    for _ in range(6):  # each replacement dies before it is ready (the database is down)
        starts.process(starts.slots[-1]).exit(3)
        sup.tick(now)
        due = sup.slots[0].not_before
        waits.append(due - now)
        count = len(starts.slots)
        sup.tick(due - 0.1)
        assert len(starts.slots) == count  # not before it is due
        now = due
        sup.tick(now)
        assert len(starts.slots) == count + 1
    assert waits == [2, 4, 8, 16, 30, 30]
    assert starts.failures[-6:] == [1, 2, 3, 4, 5, 6]
    # the database is back: this one gets ready, serves, and exits; replaced at once
    starts.ready(starts.slots[-1])
    assert sup.tick(now) is None
    starts.process(starts.slots[-1]).exit(0)
    sup.tick(now)
    assert sup.slots[0].not_before == now and sup.slots[0].failures == 0
    # the other worker was never touched
    assert sup.slots[1] is starts.slots[1] and starts.process(starts.slots[1]).is_alive()


def test_a_first_worker_that_fails_to_start_stops_the_command() -> None:
    starts = Starts()
    sup = Supervisor(2, starts)
    starts.ready(starts.slots[0])
    starts.process(starts.slots[1]).exit(3)
    assert sup.tick(0.0) == 1
    assert len(starts.slots) == 2  # nothing restarted


def test_while_starting_nothing_is_wrong_until_a_worker_exits() -> None:
    starts = Starts()
    sup = Supervisor(3, starts)
    for _ in range(5):
        assert sup.tick(0.0) is None
    assert sup.starting and len(starts.slots) == 3


def test_a_first_worker_killed_while_starting_is_replaced() -> None:
    """Killed by a signal (kill -9, the OOM killer) is not a failed start: no exit 1."""
    starts = Starts()
    sup = Supervisor(2, starts)
    starts.ready(starts.slots[0])
    starts.process(starts.slots[1]).exit(-9)
    assert sup.tick(0.0) is None
    assert sup.slots[1].process is None and sup.slots[1].not_before == 2.0
    assert sup.tick(2.0) is None and len(starts.slots) == 3
