"""What a ``where`` tree (`shared.reader.where`) means for an entry, and what a line must hold.

Meaning (docs/PROTOCOL.md says the same; frontend/js/where.js is the page's copy):

- A key names a value of the entry. ``fields.a.b`` walks the fields, at each level taking the
  longest dotted run of the remaining names that is a key there (OpenTelemetry writes
  ``http.status_code`` as one key). Missing, null, an object or a list is *no value*: every
  comparison with it is false, except ``!=`` and ``!~``, which are always the exact negation of
  ``=`` and ``~`` (``user!=alice`` keeps the entries without a user).
- ``~`` / ``!~``: the value's text holds the literal, ignoring case as ``search`` does.
- ``level`` compares by severity; ``timestamp`` as time (the literal is RFC 3339 or a date).
- When the literal is a number (``500``, ``-1.5``, ``2e3``) the comparison is numeric: a JSON
  number or a string that is one compares as a number (``"700">500``; ``3=3.0``), any other
  value is no match (``"slow">500`` is false).
- Otherwise as text: ``=`` exactly (case matters), ``<`` and ``>`` by UTF-16 code units (the
  page's order). A value's text: strings as they are, ``true`` / ``false``, numbers as
  JavaScript prints them (``100.0`` is ``100``), so the page agrees.
- A plain term matches as ``search`` does (message, target, string and integer field leaves).

Needles (`required_needles`) are strings every matching line holds, by the reasoning of
`shared.reader.match` for searches: only ``and`` branches contribute, from text terms and from
``=`` / ``~`` on the message, the target or a field, and never a string a number, a boolean or a
logfmt flag could spell without holding it (``500``, ``e+2``, ``true``). The numeric ``and``
branches also give a byte test of our own lines (`shared.reader.where_bytes.number_gate`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.reader.parse import entry_texts
from shared.reader.records import LEVEL_RANK, LEVELS
from shared.reader.search import contains_folded, utf8
from shared.reader.where import (
    NUMBER,
    TOP_KEYS,
    And,
    Compare,
    Node,
    Not,
    Or,
    Text,
    parse_time,
    parse_where,
)
from shared.reader.where_bytes import LineTest, number_gate

__all__ = [
    "CompiledWhere",
    "allowed_levels",
    "compile_for_scan",
    "compile_where",
    "number_text",
    "required_category",
    "required_needles",
    "uses_time",
]

Test = Callable[[dict[str, Any]], bool]
_MISSING: Any = object()
_TEXT_FIELDS = ("message", "target")


def compile_where(node: Node) -> Test:
    """The entry test of ``node`` (an entry: a reader record dict)."""
    if isinstance(node, Text):
        needle = utf8(node.text)
        return lambda e: any(contains_folded(utf8(t), needle) for t in entry_texts(e))
    if isinstance(node, Compare):
        return _compare(node)
    if isinstance(node, Not):
        inner = compile_where(node.item)
        return lambda e: not inner(e)
    tests = tuple(compile_where(item) for item in node.items)
    if isinstance(node, And):
        return lambda e: all(test(e) for test in tests)
    return lambda e: any(test(e) for test in tests)


def _compare(node: Compare) -> Test:
    read = _reader(node.key)
    op, literal = node.op, node.value
    if op in ("!=", "!~"):
        positive = _compare(Compare(node.key, op[1:] if op == "!~" else "=", literal))
        return lambda e: not positive(e)
    if op == "~":
        needle = utf8(literal)
        return lambda e: _present(value := read(e)) and contains_folded(utf8(text(value)), needle)
    if node.key == "level":
        return _ordered(read, op, LEVEL_RANK[literal], LEVEL_RANK.get)
    if node.key == "timestamp":
        return _ordered(read, op, parse_time(literal), lambda v: v if isinstance(v, str) else None)
    if NUMBER.fullmatch(literal):
        return _ordered(read, op, float(literal), _number)
    return _ordered(read, op, _code_units(literal), lambda v: _code_units(text(v)))


def _ordered(read: Callable[[dict[str, Any]], Any], op: str, bound: Any, key: Any) -> Test:
    compare = _ORDER[op]

    def test(entry: dict[str, Any]) -> bool:
        value = read(entry)
        if not _present(value):
            return False
        mine = key(value)
        return mine is not None and compare(mine, bound)

    return test


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


def _present(value: Any) -> bool:
    return value is not _MISSING and value is not None and not isinstance(value, dict | list)


def _reader(key: str) -> Callable[[dict[str, Any]], Any]:
    """How to read ``key``'s value from an entry (`_MISSING` when it has none)."""
    if key in TOP_KEYS:
        if key.startswith("span."):
            name = key[5:]
            return lambda e: span.get(name) if isinstance(span := e.get("span"), dict) else None
        return lambda e: e.get(key)
    names = key.split(".")
    if names[0] == "fields":
        names = names[1:]
    return lambda e: _walk(e.get("fields"), names)


def _walk(value: Any, names: list[str]) -> Any:
    while names:
        if not isinstance(value, dict):
            return _MISSING
        for cut in range(len(names), 0, -1):  # the longest dotted run that is a key
            joined = ".".join(names[:cut])
            if joined in value:
                value, names = value[joined], names[cut:]
                break
        else:
            return _MISSING
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:  # an integer past the float range (JavaScript: Infinity)
            return float("inf") if value > 0 else float("-inf")
    if isinstance(value, str) and NUMBER.fullmatch(value):
        return float(value)
    return None


def _code_units(value: str) -> bytes:
    """``value`` ordered as JavaScript orders strings (UTF-16 code units)."""
    return value.encode("utf-16-be", "surrogatepass")


def text(value: Any) -> str:
    """A scalar's text: strings as they are, ``true`` / ``false``, numbers as JavaScript."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number_text(value)
    return str(value)


def number_text(value: float) -> str:
    """``value`` as JavaScript's ``String(number)`` prints it (ECMAScript Number::toString)."""
    if isinstance(value, int) and abs(value) < 2**53:
        return str(value)
    try:
        value = float(value)
    except OverflowError:
        return "Infinity" if value > 0 else "-Infinity"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + int(exponent or 0)  # the value is 0.<digits> x 10^point
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    return sign + _es_layout(digits, point)


def _es_layout(digits: str, n: int) -> str:
    k = len(digits)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return f"{digits[:n]}.{digits[n:]}"
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    exponent = n - 1
    sign = "+" if exponent >= 0 else "-"
    head = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
    return f"{head}e{sign}{abs(exponent)}"


def _conjuncts(node: Node) -> tuple[Node, ...]:
    return node.items if isinstance(node, And) else (node,)


def required_category(node: Node) -> str | None:
    """The category every match has, when an ``and`` branch says ``category=X``."""
    for item in _conjuncts(node):
        if isinstance(item, Compare) and item.key == "category" and item.op == "=":
            return item.value
    return None


def allowed_levels(node: Node) -> frozenset[str] | None:
    """The levels a match can have, from the ``and`` branches comparing ``level``; None: any."""
    allowed: frozenset[str] | None = None
    for item in _conjuncts(node):
        if isinstance(item, Compare) and item.key == "level" and item.op not in ("~", "!~"):
            test = _compare(item)
            these = frozenset(name for name in LEVELS if test({"level": name}))
            allowed = these if allowed is None else allowed & these
    return allowed


def uses_time(node: Node) -> bool:
    """Whether any comparison in ``node`` reads ``timestamp`` (entries need their time)."""
    if isinstance(node, Compare):
        return node.key == "timestamp"
    if isinstance(node, Not):
        return uses_time(node.item)
    if isinstance(node, And | Or):
        return any(uses_time(item) for item in node.items)
    return False


#: Characters of a number's text: a needle made only of them may be spelled otherwise (``1E2``).
_NUMERIC = frozenset("0123456789.e+-")
#: Texts a line may show without holding them: floats out of range, logfmt's bare flag.
_SPELLED = ("-infinity", "nan", "true", "false")


def required_needles(node: Node, *, shortest: int = 3) -> tuple[str, ...]:
    """Strings (at least ``shortest`` long) every line holding a match contains, ignoring case,
    unless it holds a ``\\u`` escape (see the module docstring)."""
    found: list[str] = []
    for item in _conjuncts(node):
        candidate = _needle(item)
        if candidate is not None and len(candidate) >= shortest and _verbatim(candidate):
            found.append(candidate)
    return tuple(found)


def _needle(item: Node) -> str | None:
    if isinstance(item, Text):
        return max(_plain_runs(item.text), key=len)
    if not isinstance(item, Compare) or item.op not in ("=", "~"):
        return None
    if item.key in TOP_KEYS and item.key not in _TEXT_FIELDS:
        return None
    if item.op == "=" and NUMBER.fullmatch(item.value):
        return None
    return max(_plain_runs(item.value), key=len)


#: What a JSON writer may escape (`shared.reader.match`): a needle is a run free of them.
_ESCAPABLE = re.compile(r'[\x00-\x1f"\\/\x7f]')


def _plain_runs(value: str) -> list[str]:
    return _ESCAPABLE.split(value)


def _verbatim(needle: str) -> bool:
    folded = needle.lower()
    if set(folded) <= _NUMERIC:
        return False
    return not any(folded in spelled for spelled in _SPELLED)


@dataclass(frozen=True, slots=True)
class CompiledWhere:
    """A ``where`` expression ready for a scan: the test and what the prefilters may use."""

    test: Test
    levels: frozenset[str] | None
    category: str | None
    needles: tuple[bytes, ...]
    uses_time: bool
    numbers: LineTest | None = None
    """A byte test of lines in our layout for the numeric comparisons (`number_gate`)."""


def compile_for_scan(expression: str | None) -> CompiledWhere | None:
    """``expression`` parsed and compiled; None when it is None or blank.

    Raises:
        WhereError: it does not parse (a ValueError naming ``where`` and the column).
    """
    node = parse_where(expression) if expression is not None else None
    if node is None:
        return None
    return CompiledWhere(
        test=compile_where(node),
        levels=allowed_levels(node),
        category=required_category(node),
        needles=tuple(utf8(needle) for needle in required_needles(node)),
        uses_time=uses_time(node),
        numbers=number_gate(node),
    )
