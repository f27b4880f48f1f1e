"""A byte test for the numeric comparisons of a ``where`` expression, on lines in our layout.

``duration_ms>500 and category=database`` keeps one line in eight by its category bytes; the
number decides for most of those, and reading it from the bytes costs far less than parsing
the line. `number_gate` compiles the ``and`` branches comparing a plain field (``duration_ms``,
``fields.track``) or ``pid`` with a number by ``=``, ``<``, ``<=``, ``>`` or ``>=`` into a test
of a line's bytes that is False only when no entry read from the line can pass them. It is
asked only of lines `shared.reader.parse.is_ours` accepts, whose entry is either the record
(unknown top-level keys join ``fields``) or, when the line breaks the layout, a raw entry with
no fields. Why a False is right:

- The names allowed are letters, digits, ``_`` and ``-``: JSON can only escape them as ``\\u``,
  so a line without ``\\u`` spells every key of that name as the bytes ``"name"``.
- In valid JSON such bytes are a key exactly when the quote has no backslash before it (one
  before it escapes it, or ends a string that a letter cannot follow) and a colon follows. A
  key with a space before or after its colon is not our writer's and leaves the line in.
- The key the comparison reads (at any depth of ``fields``, or the record's own ``pid``) is one
  of these. Each holds a number (compared as the evaluator compares it), a string (compared
  when its plain ASCII text spells a number, else no match: non-ASCII digits, escapes and
  others leave the line in), or a null, boolean, object or list: no value, no match. Keys of
  the same name elsewhere only add values that might pass.
- So the line is ruled out when no key's value passes every comparison of its name, or when
  there is no key of that name at all (a missing field passes no such comparison). A line that
  is not valid JSON is a raw entry, without the field, so it cannot pass either.

``!=`` and ``!~`` hold for missing fields and are never tested here; ``level`` and ``category``
have their own byte tests (`shared.reader.match`).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable

from shared.reader.where import NUMBER, TOP_KEYS, And, Compare, Node

__all__ = ["LineTest", "number_gate"]

LineTest = Callable[[bytes], bool]
Bounds = tuple[tuple[Callable[[float, float], bool], float], ...]

_OPS: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
#: Field names JSON writes as their bytes (or as ``\u`` escapes) and that nothing else spells.
_NAME = re.compile(r"[A-Za-z0-9_-]+")
#: What follows a key's bytes: a colon and a number (1), a plain ASCII string (2) or no value;
#: or the end of a string that is a value (3). Anything else (spaces, ``NaN``, escapes, other
#: bytes) is no match and leaves the line in.
_AFTER_KEY = re.compile(
    rb":(?:(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)[,}]"
    rb'|"([\x20\x21\x23-\x5b\x5d-\x7e]*)"[,}]'
    rb"|(?:null|true|false)[,}]|[\[{])"
    rb"|([,\]}])"
)
_NUMBER_VALUE, _STRING_VALUE = 1, 2
_BACKSLASH = 0x5C


def number_gate(node: Node) -> LineTest | None:
    """A byte test of our lines for ``node``'s numeric ``and`` branches; None if it has none.

    Args:
        node: A parsed ``where`` expression.

    Returns:
        A test that is False only for lines in our layout whose entry cannot match ``node``
        (see the module docstring); never ask it about other lines.
    """
    by_key: dict[bytes, list[tuple[Callable[[float, float], bool], float]]] = {}
    for item in node.items if isinstance(node, And) else (node,):
        name = _tested_name(item)
        if name is not None and isinstance(item, Compare):
            by_key.setdefault(b'"' + name.encode() + b'"', []).append(
                (_OPS[item.op], float(item.value))
            )
    if not by_key:
        return None
    keys = tuple((key, len(key), tuple(bounds)) for key, bounds in by_key.items())

    def test(line: bytes) -> bool:
        for key, size, bounds in keys:
            if not _may_pass(line, key, size, bounds):
                # a key may be spelled with ``\\u`` escapes (memchr first: it is fast)
                return b"\\" in line and b"\\u" in line
        return True

    return test


def _tested_name(item: Node) -> str | None:
    """The name a numeric comparison reads, when the gate can test it."""
    if not isinstance(item, Compare) or item.op not in _OPS or not NUMBER.fullmatch(item.value):
        return None
    if item.key in TOP_KEYS:  # only ``pid`` is a number (``origin`` is not even in the line)
        return "pid" if item.key == "pid" else None
    name = item.key.removeprefix("fields.")
    return name if _NAME.fullmatch(name) else None


def _may_pass(line: bytes, key: bytes, size: int, bounds: Bounds) -> bool:
    """Whether a key ``key`` (``size`` bytes) in ``line`` may hold a value passing every bound.

    Runs for every candidate line, hence one flat loop.
    """
    match = _AFTER_KEY.match
    pos = line.find(key)
    while pos >= 0:
        end = pos + size
        if line[pos - 1] != _BACKSLASH:  # else inside a string (``pos`` > 0: a line is ``{…}``)
            found = match(line, end)
            if found is None:
                return True  # not as our writer writes it: the evaluator decides
            which = found.lastindex
            if which == _NUMBER_VALUE:
                value: float | None = float(found[1])
            elif which == _STRING_VALUE and NUMBER.fullmatch(found[2].decode("ascii")):
                value = float(found[2])  # a string spelling a number compares as that number
            else:
                value = None  # no value, a string that is no number, or a value (not a key)
            if value is not None:
                for compare, bound in bounds:
                    if not compare(value, bound):
                        break
                else:
                    return True
        pos = line.find(key, end)
    return False
