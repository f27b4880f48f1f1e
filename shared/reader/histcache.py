"""The time indexes of a viewer's files, and the background thread that reads them.

A `HistogramCache` keeps one `TimeIndex` per file identity (inode and generation): a rotated file
never changes, and the active file is only read from where the last count stopped. Files not
indexed yet are, when together larger than the cache's sample budget, answered from a
`shared.reader.sample.FileSample` at once, and indexed meanwhile by one background thread per
cache (`HistogramCache.index_later`), so later histograms are exact. That thread reads small
pieces and yields between them, and holds the cache's lock only to store a finished index.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared.reader.sample import FileSample, sample_file
from shared.reader.scan import QueryCancelled, ScanStats
from shared.reader.sources import OpenFile, open_set
from shared.reader.textmode import is_text
from shared.reader.timeindex import TimeIndex, extend, index_file

__all__ = ["CACHE_BYTES", "SAMPLE_BYTES", "SAMPLE_WINDOW", "HistogramCache"]

#: Most bytes of indexes a cache keeps (26 bytes of time + 1 of kind per entry: ~20 M entries).
CACHE_BYTES = 512 * 1024 * 1024
#: Filtered indexes kept (the last few searches).
FILTERED_KEPT = 8
#: Bytes read to sample the files not indexed yet (about 70 ms for a 1 GB set); sets up to
#: this size are indexed at once instead. Per-level totals on bench/_logsets.py's 1 GB set come
#: out within 1% (4% for its 1% of errors).
SAMPLE_BYTES = 16 * 1024 * 1024
#: Bytes per sample window (many small windows estimate better than a few large ones).
SAMPLE_WINDOW = 32 * 1024
#: Bytes the background indexer reads between two pauses (a fraction of a millisecond).
PIECE = 64 * 1024
#: How long the indexer rests after each piece, as a multiple of the piece's time.
REST = 1.0
#: Samples kept (of files whose indexing is under way).
SAMPLES_KEPT = 64
#: How long `HistogramCache.close` waits for the indexer to stop.
STOP_TIMEOUT = 5.0
FileKey = tuple[int, str]


class HistogramCache:
    """The time indexes of a viewer's files (by inode and generation) and of recent filters.

    Thread-safe: concurrent requests may index the same file twice, never corrupt it.

    Args:
        limit: Most bytes of indexes kept.
        sample_bytes: Sample budget (see `parts`); 0: always index every file at once.
        window: Bytes per sample window.
    """

    def __init__(
        self,
        limit: int = CACHE_BYTES,
        *,
        sample_bytes: int = SAMPLE_BYTES,
        window: int = SAMPLE_WINDOW,
    ) -> None:
        self.limit = limit
        self.sample_bytes = sample_bytes
        self.window = window
        self._files: OrderedDict[FileKey, TimeIndex] = OrderedDict()
        self._filtered: OrderedDict[tuple[str, tuple[Any, ...]], TimeIndex] = OrderedDict()
        self._samples: dict[tuple[int, str, int, int], FileSample] = {}
        self._lock = threading.Lock()
        self._indexer = _Indexer(self._index_set)

    def file_index(
        self, item: OpenFile, stats: ScanStats, *, piece: int | None = None
    ) -> TimeIndex:
        """``item``'s index: remembered, extended by what was appended, or read anew.

        Args:
            item: The file.
            stats: Counts what is read; its ``cancelled`` is asked before each chunk.
            piece: Bytes read at a time (see `shared.reader.timeindex.index_file`).

        Returns:
            The index (remembered when the file has a generation).

        Raises:
            QueryCancelled: ``stats.cancelled`` said so.
        """
        known = self._known(item)
        if known is not None and known.end == item.end:
            return known
        if known is not None and _grown(item, known):
            index = extend(known, index_file(item, stats, known.end, piece=piece))
        else:
            index = index_file(item, stats, piece=piece)
        if item.generation:
            self._keep(self._files, (item.inode, item.generation), index)
        return index

    def parts(self, files: list[OpenFile], stats: ScanStats) -> list[TimeIndex | FileSample]:
        """An index or a sample of each file.

        Files indexed before (or only grown since) get their index. The others are indexed now
        when together at most ``sample_bytes`` (or one is too small to sample, or plain text),
        else sampled: ``sample_bytes`` spread over them by size, at least two windows each.

        Args:
            files: The files of an open set.
            stats: Counts what is read; its ``cancelled`` is asked before each chunk or window.

        Returns:
            One `TimeIndex` or `FileSample` per file, in order.

        Raises:
            QueryCancelled: ``stats.cancelled`` said so.
        """
        todo = {id(item): item for item in files if not _current(item, self._known(item))}
        unknown = sum(item.end for item in todo.values())
        result: list[TimeIndex | FileSample] = []
        for item in files:
            if id(item) not in todo or not 0 < self.sample_bytes < unknown:
                result.append(self.file_index(item, stats))
                continue
            windows = max(2, round(self.sample_bytes / self.window * item.end / unknown))
            if self._samplable(item, windows):
                result.append(self._sample(item, stats, windows))
            else:
                result.append(self.file_index(item, stats))
        return result

    def index_later(self, log_dir: Path, app_name: str | None) -> None:
        """Have the background thread index every file of the set (started on first use)."""
        self._indexer.request((log_dir, app_name))

    def wait_indexed(self, timeout: float | None = None) -> bool:
        """Wait until the background thread has nothing left to index (tests, benchmarks).

        Returns:
            False when ``timeout`` (seconds) passed first.
        """
        return self._indexer.wait_idle(timeout)

    def close(self) -> None:
        """Stop the background thread (and wait for it); later calls index nothing later."""
        self._indexer.stop()

    @property
    def indexing(self) -> bool:
        """Whether the background thread is alive."""
        return self._indexer.alive

    def filtered(self, key: tuple[str, tuple[Any, ...]]) -> TimeIndex | None:
        """A filtered index counted before for this filter and these files, if kept."""
        with self._lock:
            return self._filtered.get(key)

    def keep_filtered(self, key: tuple[str, tuple[Any, ...]], index: TimeIndex) -> None:
        """Remember a filtered index (the oldest beyond `FILTERED_KEPT` is dropped)."""
        self._keep(self._filtered, key, index)
        with self._lock:
            while len(self._filtered) > FILTERED_KEPT:
                self._filtered.popitem(last=False)

    def _known(self, item: OpenFile) -> TimeIndex | None:
        if not item.generation:
            return None
        with self._lock:
            return self._files.get((item.inode, item.generation))

    def _samplable(self, item: OpenFile, windows: int) -> bool:
        return bool(item.generation) and windows * self.window < item.end and not is_text(item)

    def _sample(self, item: OpenFile, stats: ScanStats, windows: int) -> FileSample:
        key = (item.inode, item.generation or "", item.end, windows)
        with self._lock:
            known = self._samples.get(key)
        if known is None:
            known = sample_file(item, stats, windows, self.window)
            with self._lock:
                if len(self._samples) >= SAMPLES_KEPT:
                    self._samples.clear()
                self._samples[key] = known
        return known

    def _index_set(self, work: tuple[Path, str | None], stop: threading.Event) -> None:
        last = time.perf_counter()

        def pause() -> bool:
            # Rest between pieces, in proportion to the work: request threads get the
            # interpreter at once and most of the time (the indexer takes at most 1/(1+REST)).
            nonlocal last
            time.sleep((time.perf_counter() - last) * REST)
            last = time.perf_counter()
            return stop.is_set()

        stats = ScanStats(cancelled=pause)
        with open_set(*work) as logset:
            for item in logset.files:
                self.file_index(item, stats, piece=PIECE)

    def _keep(self, store: OrderedDict[Any, TimeIndex], key: Any, index: TimeIndex) -> None:
        with self._lock:
            store[key] = index
            store.move_to_end(key)
            if store is self._files:
                self._samples = {k: s for k, s in self._samples.items() if k[:2] != key}
            while self._size() > self.limit and len(self._files) + len(self._filtered) > 1:
                victim = self._filtered if self._filtered else self._files
                victim.popitem(last=False)

    def _size(self) -> int:
        indexes = [*self._files.values(), *self._filtered.values()]
        return sum(len(index.stamps) + len(index.kinds) for index in indexes)


def _grown(item: OpenFile, known: TimeIndex) -> bool:
    return known.end < item.end and _tail(item, known.end) == known.tail


def _current(item: OpenFile, known: TimeIndex | None) -> bool:
    return known is not None and (known.end == item.end or _grown(item, known))


def _tail(item: OpenFile, end: int) -> bytes:
    return item.pread(min(end, 256), max(0, end - 256))


Work = tuple[Path, str | None]


class _Indexer:
    """One daemon thread running ``index(work, stop)`` for each work item requested."""

    def __init__(self, index: Callable[[Work, threading.Event], None]) -> None:
        self._index = index
        self._work: dict[Work, None] = {}
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._busy = False

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def request(self, work: Work) -> None:
        with self._cond:
            if self._stop.is_set():
                return
            self._work[work] = None
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="msc-histogram-indexer", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def wait_idle(self, timeout: float | None) -> bool:
        with self._cond:
            return self._cond.wait_for(
                lambda: self._stop.is_set() or not (self._work or self._busy), timeout
            )

    def stop(self) -> None:
        with self._cond:
            self._stop.set()
            self._work.clear()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(STOP_TIMEOUT)

    def _run(self) -> None:
        while (work := self._next()) is not None:
            try:
                self._index(work, self._stop)
            except QueryCancelled:  # stopped
                pass
            except Exception:  # one set failed (a file vanished …): the next call asks again
                logging.getLogger(__name__).exception("indexing %s failed", work[0])
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def _next(self) -> Work | None:
        with self._cond:
            self._cond.wait_for(lambda: self._stop.is_set() or bool(self._work))
            if self._stop.is_set():
                return None
            work = next(iter(self._work))
            del self._work[work]
            self._busy = True
            return work
