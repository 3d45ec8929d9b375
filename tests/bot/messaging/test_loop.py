"""PeriodicTask.repeat: a failed pass is logged on the caller's logger and the next pass still runs."""

import asyncio
import logging

import pytest

from bot.messaging import PeriodicTask


async def _two_passes(first_fails: bool, **options) -> int:
    passes = 0
    second = asyncio.Event()

    async def step() -> None:
        nonlocal passes
        passes += 1
        if passes == 2:
            second.set()
        if passes == 1 and first_fails:
            raise RuntimeError("database away")

    task = asyncio.create_task(PeriodicTask.repeat(step, 0.01, "the job", **options))
    await asyncio.wait_for(second.wait(), timeout=5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return passes


@pytest.mark.parametrize("options, name", [({}, "bot.messaging.loop"),
                                           ({"logger": logging.getLogger("channels.agent_desk")}, "channels.agent_desk")])
def test_a_failed_pass_is_logged_on_the_given_logger_and_the_next_pass_runs(options, name, caplog) -> None:
    caplog.set_level(logging.ERROR)
    assert asyncio.run(_two_passes(True, **options)) >= 2
    failed = [record for record in caplog.records if record.getMessage() == "the job: a pass failed"]
    assert [record.name for record in failed] == [name]
    assert "database away" in caplog.text  # with the traceback


def test_a_wake_starts_the_next_pass_before_the_period() -> None:
    async def run() -> int:
        wake = asyncio.Event()
        passes = 0

        async def step() -> None:
            nonlocal passes
            passes += 1

        task = asyncio.create_task(PeriodicTask.repeat(step, 3600, "the job", wake=wake))
        await asyncio.sleep(0.05)
        wake.set()
        await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return passes

    assert asyncio.run(run()) == 2


def test_the_first_pass_waits_first_after_seconds() -> None:
    async def run() -> float:
        loop = asyncio.get_running_loop()
        started, ran = loop.time(), asyncio.Event()
        first: list[float] = []

        async def step() -> None:
            first.append(loop.time() - started)
            ran.set()

        task = asyncio.create_task(PeriodicTask.repeat(step, 3600, "the job", first_after=0.3))
        await asyncio.wait_for(ran.wait(), timeout=30)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return first[0]

    # asyncio runs a timer up to its clock resolution early (a CI run saw 0.19999999 for 0.2): a margin, not exact
    assert asyncio.run(run()) >= 0.25  # without first_after the first pass runs at once
