"""Substring search over big byte buffers, ignoring ASCII case when asked.

``bytes.lower()`` followed by ``bytes.find`` runs at about 0.7 GB/s here; the C library's
``strcasestr`` and ``memmem`` (through ctypes, where available) are 2-4x faster on a megabyte
chunk. Small buffers use plain Python: just as fast there, and no ctypes import at start-up.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

Finder = Callable[[int], int]
"""``find(pos)``: the first hit at or after ``pos``, or -1 (hits past the region may appear)."""

#: Buffers shorter than this are searched in Python.
LIBC_MIN = 256 * 1024
#: Needles this short are found through their first byte (see `_first_byte_finder`) …
SHORT_NEEDLE = 3
#: … until one false hit per this many bytes of the buffer (a false hit costs about 1.5 µs, the
#: fallback about 1.4 ms per MiB: this stops at half of that).
FIRST_BYTE_BUDGET = 2048
_libc_cache: list[Any] = []


class _Libc:
    def __init__(self, ctypes: Any) -> None:
        lib = ctypes.CDLL(None)
        self.strcasestr = lib.strcasestr
        self.strcasestr.restype = ctypes.c_void_p
        self.strcasestr.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        self.memmem = lib.memmem
        self.memmem.restype = ctypes.c_void_p
        self.memmem.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
        self._ctypes = ctypes

    def address(self, buf: bytes) -> int:
        """Address of ``buf``'s bytes (NUL-terminated, as all bytes objects); keep ``buf`` alive."""
        ctypes = self._ctypes
        value: int = ctypes.cast(ctypes.c_char_p(buf), ctypes.c_void_p).value
        return value


def _libc() -> _Libc | None:
    if not _libc_cache:
        lib = None
        if os.name == "posix":
            try:
                # Imported lazily: it costs start-up time the command line does not have.
                import ctypes  # noqa: PLC0415

                lib = _Libc(ctypes)
            except (OSError, AttributeError):  # no such C library functions here
                lib = None
        _libc_cache.append(lib)
    found: _Libc | None = _libc_cache[0]
    return found


class FoldSearch:
    """One needle (ASCII lowercase) searched ignoring ASCII case, buffer after buffer.

    As ripgrep does, the search looks for a rare piece of the needle with a fast exact search
    and compares around each hit: the longest run without letters when it has 4 bytes or more
    (``memmem``), else the needle's byte least frequent in a sample of the data, in both cases
    (``bytes.find`` of one byte is ``memchr``, tens of GB/s). When that byte is too frequent, or
    a buffer yields too many false hits, the buffer goes to `fold_finder` (``strcasestr``,
    about 0.7 GB/s here).
    """

    SAMPLE = 16 * 1024

    def __init__(self, needle: bytes) -> None:
        self.needle = needle
        offset, run = _caseless_run(needle)
        self._fixed = (offset, (run,), 0.0) if len(run) >= 4 else None
        self._pick: tuple[int, tuple[bytes, ...], float] | None = self._fixed

    def finder(self, buf: bytes, lo: int, hi: int) -> Finder:
        """A finder over ``buf[lo:hi]``."""
        if self._pick is None:
            self._pick = self._choose(buf[lo : lo + self.SAMPLE])
        index, variants, frequency = self._pick
        budget = hi // FIRST_BYTE_BUDGET
        if frequency * (hi - lo) > budget:
            return fold_finder(buf, lo, hi, self.needle)
        return _RareFinder(self, buf, (lo, hi), index=index, variants=variants, budget=budget)

    def forget_pick(self) -> None:
        """Sample again for the next buffer: the picked byte turned out common."""
        self._pick = self._fixed

    def _choose(self, sample: bytes) -> tuple[int, tuple[bytes, ...], float]:
        """The needle's byte least frequent (in both cases) in ``sample``, and its frequency."""
        counts: dict[bytes, int] = {}

        def frequency(index: int) -> int:
            return sum(counts.setdefault(v, sample.count(v)) for v in self._variants(index))

        index = min(range(len(self.needle)), key=frequency)
        return index, self._variants(index), frequency(index) / max(1, len(sample))

    def _variants(self, index: int) -> tuple[bytes, ...]:
        char = self.needle[index : index + 1]
        return (char,) if char == char.upper() else (char, char.upper())


def _caseless_run(needle: bytes) -> tuple[int, bytes]:
    """Offset and bytes of the longest run of ``needle`` holding no ASCII letter."""
    best = (0, b"")
    start = 0
    for end in range(len(needle) + 1):
        if end == len(needle) or needle[end : end + 1].isalpha():
            if end - start > len(best[1]):
                best = (start, needle[start:end])
            start = end + 1
    return best


class _RareFinder:
    """`FoldSearch` over one buffer: exact hits of ``variants``, compared around."""

    def __init__(
        self,
        search: FoldSearch,
        buf: bytes,
        region: tuple[int, int],
        *,
        index: int,
        variants: tuple[bytes, ...],
        budget: int,
    ) -> None:
        self._search, self._buf, self._region = search, buf, region
        self._index, self._budget = index, budget
        self._finders = {v: exact_finder(buf, region[1], v) for v in variants}
        self._ahead = dict.fromkeys(variants, -2)  # next hit of each variant; -2: not looked
        self._fallback: Finder | None = None

    def __call__(self, pos: int) -> int:
        if self._fallback is not None:
            return self._fallback(pos)
        needle, index = self._search.needle, self._index
        start = pos + index
        while (hit := self._next(start)) >= 0:
            if self._buf[hit - index : hit - index + len(needle)].lower() == needle:
                return hit - index
            self._budget -= 1
            if self._budget < 0:  # the piece is common here after all
                self._search.forget_pick()
                self._fallback = fold_finder(self._buf, *self._region, needle)
                return self._fallback(hit - index + 1)
            start = hit + 1
        return -1

    def _next(self, start: int) -> int:
        """The first hit of any variant at or after ``start``, or -1."""
        best = -1
        for variant, find in self._finders.items():
            ahead = self._ahead[variant]
            if ahead == -2 or -1 < ahead < start:
                ahead = self._ahead[variant] = find(start) if start < self._region[1] else -1
            if ahead >= 0 and (best < 0 or ahead < best):
                best = ahead
        return best


def fold_finder(buf: bytes, lo: int, hi: int, needle: bytes) -> Finder:
    """Find ``needle`` (ASCII lowercase) in ``buf[lo:hi]`` ignoring ASCII case.

    Hits are byte positions in ``buf``; non-ASCII bytes compare exactly.
    """
    lib = _libc() if hi - lo >= LIBC_MIN else None
    # strcasestr stops at a NUL byte: buffers holding one take the Python path.
    if lib is not None and buf.find(b"\0", lo, hi) < 0:
        base, strcasestr = lib.address(buf), lib.strcasestr

        def find_c(pos: int) -> int:
            hit: int | None = strcasestr(base + pos, needle)
            return hit - base if hit else -1

        return find_c
    low = buf.lower()  # ASCII-only: every byte keeps its position

    def find_py(pos: int) -> int:
        return low.find(needle, pos, hi)

    return find_py


def exact_finder(buf: bytes, hi: int, needle: bytes) -> Finder:
    """Find ``needle`` exactly in ``buf[:hi]``."""
    fallback = _substring_finder(buf, hi, needle)
    if len(needle) <= SHORT_NEEDLE:
        return _first_byte_finder(buf, hi, needle, fallback)
    return fallback


def _first_byte_finder(buf: bytes, hi: int, needle: bytes, fallback: Finder) -> Finder:
    """For short needles with a rare first byte (``\\u``, UTF-8 lead bytes): memchr it.

    Substring search is slow for 2-3 byte needles (about 1 GB/s for both ``bytes.find`` and
    glibc's ``memmem``); ``bytes.find`` of one byte is ``memchr``, tens of GB/s. When the first
    byte turns out common in this buffer, the rest of the search goes to ``fallback``.
    """
    first = needle[:1]
    budget = [hi // FIRST_BYTE_BUDGET]

    def find(pos: int) -> int:
        while budget[0] > 0:
            hit = buf.find(first, pos, hi)
            if hit < 0 or buf.startswith(needle, hit):
                return hit
            budget[0] -= 1
            pos = hit + 1
        return fallback(pos)

    return find


def _substring_finder(buf: bytes, hi: int, needle: bytes) -> Finder:
    lib = _libc() if hi >= LIBC_MIN else None
    if lib is not None:
        base, memmem, length = lib.address(buf), lib.memmem, len(needle)

        def find_c(pos: int) -> int:
            hit: int | None = memmem(base + pos, hi - pos, needle, length)
            return hit - base if hit else -1

        return find_c

    def find_py(pos: int) -> int:
        return buf.find(needle, pos, hi)

    return find_py
