"""Run a coroutine on its own loop, whatever the test session's main thread is doing.

Playwright's sync API (tests/e2e) keeps an event loop running in the main thread for the whole
session, so a plain `asyncio.run` in a later test would fail for reasons unrelated to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on a fresh event loop in a worker thread; return its result."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
