"""Substring search over big byte buffers: StringZilla's SIMD kernels.

Measured on this machine (2 cores, 256 MB of our own log lines, no hit; ``bench/query.py``
measures whole queries): StringZilla's ``utf8_uncased_search`` runs at 6-7 GB/s for ordinary
words with full Unicode case folding (``ß`` is ``ss``, ``K`` the Kelvin sign is ``k``), where
glibc's ``strcasestr`` (ASCII only) ran at 1.5-2.4 GB/s and ``rg -j1 -i`` at about 5 GB/s; its
exact ``find`` is 2-3x faster than glibc's ``memmem``. Hyperscan was not taken: no case
folding beyond ASCII, and a database to compile per search.

Only ``bytes`` are passed to StringZilla: a ``str`` holding a lone surrogate crashes it
(5.3.2), while any byte string, valid UTF-8 or not, is safe (fuzzed in the tests).
"""

from __future__ import annotations

from collections.abc import Callable

import stringzilla  # type: ignore[import-not-found]  # a C extension without type information

Finder = Callable[[int], int]
"""``find(pos)``: the first hit at or after ``pos``, or -1."""

_find: Callable[[bytes | bytearray, bytes, int, int], int] = stringzilla.find
utf8_uncased_search: Callable[..., int] = stringzilla.utf8_uncased_search
hash_bytes: Callable[[bytes | memoryview], int] = stringzilla.hash
"""A 64-bit hash of a buffer, about 12 GB/s here."""


def utf8(text: str) -> bytes:
    """``text`` as UTF-8; a lone surrogate (never produced by our parsers) is kept as bytes."""
    return text.encode("utf-8", "surrogatepass")


def contains_folded(haystack: bytes, needle: bytes) -> bool:
    """Whether ``haystack`` holds ``needle``, both UTF-8, ignoring case by Unicode case folding."""
    return utf8_uncased_search(haystack, needle) >= 0


def folded_at(buf: bytes | bytearray, needle: bytes, lo: int, hi: int) -> int:
    """Where ``needle`` first is in ``buf[lo:hi]`` ignoring case (Unicode case folding), or -1."""
    return utf8_uncased_search(buf, needle, lo, hi)


def exact_at(buf: bytes | bytearray, needle: bytes, lo: int, hi: int) -> int:
    """Where ``needle`` first is in ``buf[lo:hi]``, or -1 (StringZilla: Python's ``find`` ran at
    2 GB/s here for a two-byte needle that is not there)."""
    return _find(buf, needle, lo, hi)


def fold_finder(buf: bytes, lo: int, hi: int, needle: bytes) -> Finder:
    """Find ``needle`` in ``buf[lo:hi]`` ignoring case (Unicode case folding); byte positions."""

    def find(pos: int) -> int:
        return utf8_uncased_search(buf, needle, pos, hi)

    return find


def exact_finder(buf: bytes, hi: int, needle: bytes) -> Finder:
    """Find ``needle`` exactly in ``buf[:hi]``."""

    def find(pos: int) -> int:
        return _find(buf, needle, pos, hi)

    return find
