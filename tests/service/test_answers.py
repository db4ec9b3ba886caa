"""Kept answers: computed once however many requests wait, again when their token moves, never kept on error."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

from shopops.api._common import Answers
from tests.aio import run_async


def _run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    run_async(scenario())


def test_concurrent_requests_compute_once_and_a_new_token_computes_again() -> None:
    calls: list[str] = []
    gate = threading.Event()

    def compute(tag: str) -> bytes:
        calls.append(tag)
        gate.wait(5)
        return tag.encode()

    async def scenario() -> None:
        answers = Answers()
        waiting = [asyncio.create_task(answers.get("k", 1, lambda: compute("one"))) for _ in range(30)]
        await asyncio.sleep(0.2)
        gate.set()
        assert await asyncio.gather(*waiting) == [b"one"] * 30
        assert calls == ["one"]
        assert await answers.get("k", 1, lambda: compute("never")) == b"one"  # kept
        assert await answers.get("k", 2, lambda: compute("two")) == b"two"  # the data moved
        assert calls == ["one", "two"] and answers.peek("k", 1) is None and answers.peek("k", 2) == b"two"

    _run(scenario)


def test_a_cancelled_first_request_does_not_cancel_the_others() -> None:
    def slow() -> bytes:
        time.sleep(0.3)
        return b"done"

    async def scenario() -> None:
        answers = Answers()
        first = asyncio.create_task(answers.get("k", 1, slow))
        second = asyncio.create_task(answers.get("k", 1, slow))
        await asyncio.sleep(0.05)
        first.cancel()  # the client went away
        assert await second == b"done"
        assert answers.peek("k", 1) == b"done"

    _run(scenario)


def test_an_error_reaches_every_waiter_and_is_not_kept() -> None:
    def broken() -> bytes:
        time.sleep(0.1)
        raise ValueError("no warehouse")

    async def scenario() -> None:
        answers = Answers()
        results = await asyncio.gather(*(answers.get("k", 1, broken) for _ in range(5)), return_exceptions=True)
        assert all(isinstance(r, ValueError) for r in results)
        assert answers.peek("k", 1) is None
        assert await answers.get("k", 1, lambda: b"fixed") == b"fixed"

    _run(scenario)


def test_answers_are_bounded_by_their_bytes() -> None:
    async def scenario() -> None:
        answers = Answers(max_bytes=10_000)
        for k in range(20):
            await answers.get(k, 0, lambda: b"x" * 1000)
        assert sum(answers.peek(k, 0) is not None for k in range(20)) <= 9
        assert answers.peek(19, 0) is not None  # the newest stays
        assert await answers.get("huge", 0, lambda: b"y" * 20_000) == b"y" * 20_000  # answered, not kept
        assert answers.peek("huge", 0) is None

    _run(scenario)



def test_an_inline_answer_is_computed_on_the_loop_and_kept() -> None:
    where: list[str] = []

    def compute() -> bytes:
        where.append(threading.current_thread().name)
        return b"cheap"

    async def scenario() -> None:
        answers = Answers()
        loop_thread = threading.current_thread().name
        assert await answers.get("k", 1, compute, inline=True) == b"cheap"
        assert await answers.get("k", 1, compute, inline=True) == b"cheap"  # kept: not computed again
        assert where == [loop_thread]
        assert await answers.get("k", 2, compute) == b"cheap"  # not inline: a worker thread
        assert where[1] != loop_thread

    _run(scenario)
