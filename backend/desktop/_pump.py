"""The desktop event pump: backend events into the page, one ``evaluate_js`` call per batch.

A thread waits on the window's `EventQueue`, drains up to `MAX_BATCH` events and hands the batch
to ``window.__mscDeliver(batch)`` (frontend/js/bridge/transport.js) as one JSON literal. One call
costs ~2 ms whatever its size, so batching is what lets thousands of entries per second through.

Handshake: the page's ``__mscDeliver`` answers ``true`` once it took a batch. Anything else (the
modules are not loaded yet, the page is reloading) means "not ready": the pump keeps the batch and
offers it again, while newer events wait in the bounded queue, which drops its oldest when full
and then leads the next batch with ``events-dropped`` {count}.

Nothing here logs: a record written while pushing would be followed, pushed, logged again...
Problems go to stderr (`shared.writer.diag`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import orjson

from backend._events import EventQueue
from shared.writer.diag import complain, complain_once

__all__ = ["MAX_BATCH", "EventPump", "batch_script"]

#: Most events in one ``evaluate_js`` call: large enough that the ~2 ms per call is amortized at
#: 10,000 entries/s, small enough that one call does not hold the page for long.
MAX_BATCH = 2000
#: Seconds between two offers of a batch the page was not ready for.
RETRY_INTERVAL = 0.05
#: Seconds a waiting pump sleeps before it looks at its stop flag again.
IDLE_WAIT = 0.25

#: What `deliver` answers: True taken; False not ready (offer again); None failed (drop it).
Deliver = Callable[[str], bool | None]


def batch_script(batch: list[dict[str, Any]]) -> str:
    """The JavaScript that hands ``batch`` to the page, answering ``true`` when it was taken.

    The batch is a JSON literal from orjson, so log text can never become code. U+2028 and U+2029
    are legal inside JSON strings but were line terminators in JavaScript source before ES2019;
    they are escaped so the literal is safe wherever the script ends up (pywebview re-quotes it
    inside ``eval("...")``, which escapes quotes, backslashes and newlines but not these two).
    """
    try:
        literal = orjson.dumps(batch).decode()
    except TypeError:  # lone surrogates (orjson refuses them): the stdlib writes \udXXX escapes
        literal = json.dumps(batch, ensure_ascii=True, default=str)
    literal = literal.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f"(typeof window.__mscDeliver === 'function' && window.__mscDeliver({literal}) === true)"


class EventPump:
    """Moves events from ``queue`` into the page through ``deliver`` in a daemon thread.

    Args:
        queue: The window's subscription on the app's `Broadcaster`.
        deliver: Runs a script from `batch_script` in the page and says what happened.
        ready: Set once the page can run scripts at all (pywebview's ``loaded``).
        max_batch: Most events per call.
    """

    def __init__(
        self,
        queue: EventQueue,
        deliver: Deliver,
        ready: threading.Event,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._queue = queue
        self._deliver = deliver
        self._ready = ready
        self._max_batch = max_batch
        self._stop = threading.Event()
        self.delivered = 0
        # Daemon: a call blocked inside a window that is being destroyed must not keep the
        # process alive; `stop` still joins it in the normal case.
        self._thread = threading.Thread(target=self._run, name="msc-event-pump", daemon=True)

    def start(self) -> None:
        """Start pumping."""
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the thread to end (returns at once; safe on the GUI thread)."""
        self._stop.set()
        self._queue.close()

    def stop(self, timeout: float = 2.0) -> bool:
        """Stop and wait up to ``timeout`` seconds; returns whether the thread ended."""
        self.request_stop()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        batch: list[dict[str, Any]] = []
        script = ""
        while not self._stop.is_set():
            if not self._ready.is_set():
                self._ready.wait(IDLE_WAIT)
                continue
            if not batch:
                if not self._queue.wait(IDLE_WAIT):
                    continue
                batch = self._queue.drain(self._max_batch)
                script = batch_script(batch)
            if self._offer(script, len(batch)):
                batch = []
            else:
                self._stop.wait(RETRY_INTERVAL)

    def _offer(self, script: str, size: int) -> bool:
        """Offer one batch; True when it is done with (taken, or failed and dropped)."""
        try:
            answer = self._deliver(script)
        except Exception as exc:  # the window is gone or reloading: offer again (or stop)
            complain_once(f"pump:{type(exc).__name__}", f"event delivery failed: {exc!r}")
            return self._stop.is_set()
        if answer is True:
            self.delivered += size
            return True
        if answer is None:  # the page threw on this batch: offering it again would loop
            complain(f"the page failed on a batch of {size} events; dropped")
            return True
        return False
