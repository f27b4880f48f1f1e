"""logfmt: ``key=value key="quoted \\"value\\"" flag`` pairs (logrus, go-kit, Heroku, slog text).

A line is logfmt when it starts with ``key=`` and splits into pairs to its end. Quoted values
are unescaped as Go's ``strconv.Quote`` writes them (``\\"``, ``\\\\``, ``\\n``, ``\\t``,
``\\uXXXX``, ``\\xXX``); a bare key (no ``=``) is ``"true"``. Values stay strings: logfmt has no
types, and text keeps them searchable exactly as written.
"""

from __future__ import annotations

import re

_START = re.compile(r"[A-Za-z_][\w.\-/]*=")
_PAIR = re.compile(r'\s*([^\s="]+)(?:=("(?:[^"\\]|\\.)*"|[^\s"]*))?(?=\s|$)')
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)")
_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def parse(line: str) -> dict[str, str] | None:
    """The pairs of a logfmt line in order, or None when ``line`` is not logfmt."""
    if not _START.match(line):
        return None
    pairs: dict[str, str] = {}
    position, end = 0, len(line.rstrip())
    while position < end:
        match = _PAIR.match(line, position)
        if match is None:
            return None
        key, value = match.groups()
        pairs.setdefault(key, "true" if value is None else _unquote(value))
        position = match.end()
    return pairs


def _unquote(value: str) -> str:
    if len(value) < 2 or not value.startswith('"'):
        return value
    return _ESCAPE.sub(_unescape, value[1:-1])


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if len(code) > 1:
        return chr(int(code[1:], 16))
    return _SIMPLE.get(code, code)
