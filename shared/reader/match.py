"""Query criteria: the authoritative entry test, and byte tests that let a scan skip parsing.

Every byte test is a *necessary* condition: a line failing it cannot match, so it is never
parsed. The reasoning each one rests on:

- Search: an entry's searched texts (see `entry_texts`) are decoded JSON strings and integers,
  compared by Unicode case folding (`shared.reader.search`). Without escapes a decoded string
  is its raw UTF-8 bytes, so a match on a run of the needle that JSON never escapes (no quote,
  backslash, slash or control character) shows up in the raw line under the same folding —
  unless the line has a ``\\u`` escape (another writer's ``\\u00eb``): such lines are
  candidates too.
- Level, pino: a line in pino's layout (``{"level":50,"time":``, one of its six standard
  numbers) is at that number's level, so the scan finds such lines by their first bytes; lines
  in neither layout are always candidates.
- Level and category: a line in our layout (`shared.reader.parse.is_ours`) holds
  ``"level":"error"`` and ``"category":"midi"`` verbatim; one that breaks the rest of the layout
  is shown raw, at level info and category unknown, so the level test is only used when info is
  not asked for. Lines in any other layout are never skipped by the level test. Any line
  whose category is midi, ours or foreign, holds the string token ``"midi"`` (quotes inside
  JSON strings are escaped) unless it uses ``\\u`` escapes.
- Time: our timestamps are fixed-width UTC text at a fixed offset, so they compare as bytes.
- Where (`shared.reader.where_match`): its test is authoritative; its ``and`` branches narrow
  the levels and the category (so their byte tests apply) and give needles, by the search's
  reasoning, that a line must all hold (or a ``\\u`` escape); a line of ours whose numbers
  cannot pass its numeric ``and`` branches is ruled out (`shared.reader.where_bytes`).
- Request and span ids: a line whose ``fields.request_id`` (or span id) equals the value holds
  the value as JSON string content, escaped as orjson escapes it, unless the line has a
  backslash (another writer may escape differently).

Kept free of pydantic so the command line starts fast.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from shared.reader.parse import entry_texts, is_ours
from shared.reader.records import CATEGORIES, LEVEL_RANK, LEVELS, format_timestamp
from shared.reader.search import contains_folded, exact_at, folded_at, utf8

if TYPE_CHECKING:
    from shared.reader.where_match import CompiledWhere

UNICODE_ESCAPE = b"\\u"
#: Characters JSON writers may escape: a run of the needle free of them is verbatim in the line.
_ESCAPED = frozenset(chr(code) for code in range(0x20)) | frozenset('"\\/\x7f')
_TS = slice(14, 41)  # the timestamp's bytes in our lines


@dataclass(frozen=True, slots=True)
class Criteria:
    """Filters of a query; all optional, all combine (see `shared.reader.query.LogQuery`)."""

    level: str | None = None
    min_level: str | None = None
    category: str | None = None
    search: str | None = None
    regex: bool = False
    since: datetime | None = None
    until: datetime | None = None
    request_id: str | None = None
    span_id: str | None = None
    raw_only: bool = False
    where: str | None = None
    """A ``where`` expression (`shared.reader.where`)."""


@dataclass(frozen=True, slots=True)
class SearchAnchor:
    """Every line a search can match holds one of ``needles`` (ignoring case) or a ``\\u``
    escape."""

    needles: tuple[bytes, ...]
    extras: tuple[bytes, ...] = (UNICODE_ESCAPE,)

    def in_line(self, line: bytes) -> bool:
        """Whether ``line`` may match."""
        return self.in_range(line, 0, len(line))

    def in_range(self, buf: bytes | bytearray, lo: int, hi: int) -> bool:
        """Whether ``buf[lo:hi]`` holds a needle or an extra (so a line there may match)."""
        return any(folded_at(buf, needle, lo, hi) >= 0 for needle in self.needles) or any(
            exact_at(buf, extra, lo, hi) >= 0 for extra in self.extras
        )


class Matcher:
    """Criteria compiled: `matches` decides, the byte tests only rule lines out."""

    def __init__(self, criteria: Criteria) -> None:
        """Compile ``criteria``.

        Raises:
            ValueError: an argument is invalid; the message starts with its name.
        """
        self.where: CompiledWhere | None = None
        if criteria.where is not None:
            # The where language (3-5 ms of imports) loads only for a query that has one: the
            # command line starts faster (tests/backend/test_cli_start.py).
            from shared.reader.where_match import compile_for_scan  # noqa: PLC0415

            self.where = compile_for_scan(criteria.where)
        self.levels = _with_where_levels(_levels(criteria.level, criteria.min_level), self.where)
        self.category = _category(criteria.category)
        if self.category is None and self.where and self.where.category in CATEGORIES:
            self.category = self.where.category  # the where test decides; this prefilters
        self.since = _time_text(criteria.since)
        self.until = _time_text(criteria.until)
        self._needle: bytes | None = None
        self._regex: Any = None  # an RE2 pattern (the package ships no type information)
        self.search_anchor: SearchAnchor | None = None
        if criteria.search:
            self._compile_search(criteria.search, criteria.regex)
        where_needles = self.where.needles if self.where else ()
        if self.search_anchor is None and where_needles:
            self.search_anchor = SearchAnchor((max(where_needles, key=len),))
        self.level_tokens = _level_tokens(self.levels)
        self.scan_tokens = _scan_tokens(self.levels, self.level_tokens)
        known = self.category not in (None, "unknown")
        self.category_token = _category_token(self.category) if known else None
        # Any line of that category, ours or foreign, holds the value as a JSON string token
        # (inside a string a quote is escaped) — or an escape that spells it.
        self.category_value = f'"{self.category}"'.encode() if known else None
        self.request_id, self.span_id = criteria.request_id, criteria.span_id
        self.raw_only = criteria.raw_only
        self._ids = tuple(
            orjson.dumps(value)[1:-1] for value in (self.request_id, self.span_id) if value
        )
        self._since_b = self.since.encode() if self.since else None
        self._until_b = self.until.encode() if self.until else None
        self._numbers = self.where.numbers if self.where else None
        # Tests that read our layout's bytes: without them, no line needs its layout checked.
        self._layout_tests = bool(
            self.level_tokens or self.category_token or self._since_b or self._until_b
        ) or (self._numbers is not None)
        self.impossible = self.levels == frozenset() or bool(
            self.since and self.until and self.since > self.until
        )

    def _compile_search(self, search: str, regex: bool) -> None:
        if regex:
            self._regex = compile_regex(search)
            needles = _regex_needles(search)
        else:
            self._needle = utf8(search)
            longest = _longest(_plain_runs(search))
            needles = (longest,) if longest else ()
        if needles:
            self.search_anchor = SearchAnchor(tuple(utf8(needle) for needle in needles))

    @property
    def bounds_time(self) -> bool:
        """Whether ``since`` or ``until`` is part of the criteria (entries need their time)."""
        where_time = self.where is not None and self.where.uses_time
        return self.since is not None or self.until is not None or where_time

    @property
    def filters_text(self) -> bool:
        """Whether a search is part of the criteria."""
        return self._needle is not None or self._regex is not None

    def matches(self, entry: dict[str, Any]) -> bool:
        """The authoritative test of a parsed entry."""
        if not self._values_match(entry):
            return False
        if self.where is not None and not self.where.test(entry):
            return False
        if self._needle is not None:
            needle = self._needle
            return any(contains_folded(utf8(text), needle) for text in entry_texts(entry))
        if self._regex is not None:
            search = self._regex.search
            return any(search(utf8(text)) is not None for text in entry_texts(entry))
        return True

    def _values_match(self, entry: dict[str, Any]) -> bool:
        stamp, request_id = entry["timestamp"], self.request_id
        return not (
            (self.levels is not None and entry["level"] not in self.levels)
            or (self.category is not None and entry["category"] != self.category)
            or (self.since is not None and stamp < self.since)
            or (self.until is not None and stamp > self.until)
            or (request_id is not None and entry["fields"].get("request_id") != request_id)
            or (self.span_id is not None and not _in_span(entry["span"], self.span_id))
            or (self.raw_only and not entry.get("raw"))
        )

    def precheck(self, line: bytes) -> bool:
        """False only for lines that cannot match (see the module docstring)."""
        if self.search_anchor is not None and not self.search_anchor.in_line(line):
            return False
        if not self._values_precheck(line):
            return False
        if not self._layout_tests or not is_ours(line):
            return True
        if self.level_tokens is not None and not any(t in line for t in self.level_tokens):
            return False
        if self.category_token is not None and self.category_token not in line:
            return False
        numbers = self._numbers
        return (numbers is None or numbers(line)) and self._time_precheck(line)

    def _values_precheck(self, line: bytes) -> bool:
        # Values any matching line holds, ours or foreign (unless escaped another way).
        value = self.category_value
        if value is not None and value not in line and UNICODE_ESCAPE not in line:
            return False
        needles = self.where.needles if self.where is not None else ()
        if needles and not _holds_all(line, needles):
            return False
        return not self._ids or b"\\" in line or all(token in line for token in self._ids)

    def _time_precheck(self, line: bytes) -> bool:
        if self._since_b is None and self._until_b is None:
            return True
        if line[40:43] != b'Z",' or line[33:34] != b".":
            return True  # not the fixed-width form: leave it to the parsed test
        stamp = line[_TS]
        if self._since_b is not None and stamp < self._since_b:
            return False
        return self._until_b is None or stamp <= self._until_b


def _holds_all(line: bytes, needles: tuple[bytes, ...]) -> bool:
    """Whether ``line`` holds every needle ignoring case, or a ``\\u`` escape (see the module
    docstring)."""
    n = len(line)
    return all(folded_at(line, needle, 0, n) >= 0 for needle in needles) or UNICODE_ESCAPE in line


def _with_where_levels(
    levels: frozenset[str] | None, where: CompiledWhere | None
) -> frozenset[str] | None:
    """The levels the criteria allow, narrowed by the ``where`` expression's level tests."""
    if where is None or where.levels is None:
        return levels
    return where.levels if levels is None else levels & where.levels


def _in_span(span: Any, span_id: str) -> bool:
    """Whether the entry's span is ``span_id`` or a child of it."""
    return isinstance(span, dict) and span_id in (span.get("id"), span.get("parent_id"))


def _levels(level: str | None, min_level: str | None) -> frozenset[str] | None:
    for name, value in (("level", level), ("min_level", min_level)):
        if value is not None and value not in LEVEL_RANK:
            raise ValueError(f"{name}: must be one of {', '.join(LEVELS)}, not {value!r}")
    if level is None and min_level is None:
        return None
    allowed = set(LEVELS) if level is None else {level}
    if min_level is not None:
        allowed = {name for name in allowed if LEVEL_RANK[name] >= LEVEL_RANK[min_level]}
    return frozenset(allowed)


def _category(category: str | None) -> str | None:
    if category is not None and category not in CATEGORIES:
        names = ", ".join(sorted(CATEGORIES))
        raise ValueError(f"category: must be one of {names}, not {category!r}")
    return category


def _level_tokens(levels: frozenset[str] | None) -> tuple[bytes, ...] | None:
    # A damaged line of ours is a raw entry at level info, whatever its bytes say: with info
    # allowed, no line can be ruled out by its level bytes (and most lines pass anyway).
    if levels is None or "info" in levels:
        return None
    return tuple(b'"level":"' + name.encode() + b'"' for name in LEVELS if name in levels)


#: pino's line layout: the numeric level first, then the time (`shared.reader.scan` relies on it).
PINO_LEVELS = {10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "error"}


def pino_token(number: int) -> bytes:
    """How a pino line with level ``number`` begins."""
    return b'{"level":%d,"time":' % number


def _scan_tokens(
    levels: frozenset[str] | None, ours: tuple[bytes, ...] | None
) -> tuple[bytes, ...] | None:
    """Tokens that find every line of ours or of pino's layout at one of ``levels``."""
    if levels is None or ours is None:
        return None
    return ours + tuple(pino_token(n) for n, band in PINO_LEVELS.items() if band in levels)


def _category_token(category: str | None) -> bytes | None:
    return None if category is None else b'"category":"' + category.encode() + b'"'


def _time_text(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # naive bounds are taken as UTC, like naive records
    return format_timestamp(moment)


def compile_regex(pattern: str) -> Any:
    """``pattern`` compiled by RE2 (linear time, case-insensitive), to search UTF-8 bytes.

    Raises:
        ValueError: RE2 cannot compile it; the message says which construct is unsupported.
    """
    import re2  # type: ignore[import-untyped]  # noqa: PLC0415  (1.6 ms, only for regexes)

    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    options.never_capture = True
    try:
        return re2.compile(utf8(pattern), options)
    except re2.error as exc:
        raw = exc.args[0] if exc.args else exc
        detail = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        hint = _unsupported(pattern)
        raise ValueError(f"search: invalid regular expression ({hint}): {detail}") from None


def _unsupported(pattern: str) -> str:
    """What RE2's refusal means to someone used to Python's or Perl's regular expressions."""
    if re.search(r"\(\?<?[=!]", pattern):
        return "look-ahead and look-behind are not supported: RE2 syntax"
    if re.search(r"\\[1-9]|\(\?P=", pattern):
        return "backreferences are not supported: RE2 syntax"
    return "RE2 syntax"


def _plain_runs(text: str) -> list[str]:
    runs, current = [], []
    for char in text:
        if char not in _ESCAPED:
            current.append(char)
        elif current:
            runs.append("".join(current))
            current = []
    runs.append("".join(current))
    return runs


def _regex_needles(pattern: str) -> tuple[str, ...]:
    """Strings one of which every match of ``pattern`` contains (ignoring case); () if unknown.

    From the parse tree: literal runs, alternations (``time(out|d out)`` needs ``timeout`` or
    ``timed out``), small character classes, groups and repeats of at least one. Only plain
    ASCII characters (see `_plain_runs`) are taken, and the sets are kept small.
    """
    if "[:" in pattern:  # RE2's [[:alpha:]] is one class, Python's parser reads other literals
        return ()
    parser: Any = importlib.import_module("re._parser")  # private, hence untyped: Any
    try:
        parsed = parser.parse(pattern, re.IGNORECASE)
        _exact, needed = _sequence(list(parsed.data))
    except (re.error, OverflowError, RecursionError):  # no prefilter: RE2 decides
        return ()
    return tuple(sorted(needed)) if needed and min(map(len, needed)) >= MIN_NEEDLE else ()


#: Shortest needle worth a prefilter; most strings a set of needles may hold.
MIN_NEEDLE = 3
MAX_NEEDLES = 16
Needles = frozenset[str] | None  # None: unknown


def _sequence(items: list[Any]) -> tuple[Needles, Needles]:
    """``(exact, needed)`` of a concatenation: every string it matches, if few and known; and a
    set of strings one of which every match contains."""
    best: Needles = None
    run: frozenset[str] = frozenset({""})  # the exact strings of the items since an unknown one
    all_exact = True
    for op, arg in items:
        item_exact, item_needed = _item(str(op), arg)
        if item_exact is not None:
            joined = frozenset(a + b for a in run for b in item_exact)
            if len(joined) <= MAX_NEEDLES:
                run = joined
                continue
            best, run = _better(best, run), item_exact  # too many combinations: a new run
        else:
            best, run = _better(_better(best, run), item_needed), frozenset({""})
        all_exact = False
    return (run if all_exact else None), _better(best, run)


def _item(op: str, arg: Any) -> tuple[Needles, Needles]:
    """``(exact, needed)`` of one parse-tree item (see `_sequence`)."""
    handler = _ITEMS.get(op)
    return (None, None) if handler is None else handler(arg)


def _literal(code: int) -> tuple[Needles, Needles]:
    char = chr(code)
    plain = char.isascii() and char not in _ESCAPED
    return (frozenset({char.lower()}), None) if plain else (None, None)


def _branch(arg: Any) -> tuple[Needles, Needles]:
    branches = [_sequence(list(branch.data)) for branch in arg[1]]
    exacts = [exact for exact, _ in branches if exact is not None]
    if len(exacts) == len(branches):
        union = frozenset().union(*exacts)
        if len(union) <= MAX_NEEDLES:
            return union, union
    needed = [needed for _, needed in branches if needed]
    if len(needed) < len(branches):  # a branch needs nothing: neither does the alternation
        return None, None
    union = frozenset().union(*needed)
    return None, union if len(union) <= MAX_NEEDLES else None


def _char_class(arg: Any) -> tuple[Needles, Needles]:
    chars = [chr(code) for op, code in arg if str(op) == "LITERAL"]
    small = len(chars) == len(arg) and len(chars) <= 4
    plain = all(char.isascii() and char not in _ESCAPED for char in chars)
    return (frozenset(char.lower() for char in chars), None) if small and plain else (None, None)


def _repeat(arg: Any) -> tuple[Needles, Needles]:
    low, high, sub = arg
    exact, needed = _sequence(list(sub.data))
    if low == high == 1:
        return exact, needed
    return None, (exact or needed) if low >= 1 else None


_ITEMS: dict[str, Any] = {
    "LITERAL": _literal,
    "AT": lambda _arg: (frozenset({""}), None),  # ^, $, \b: match no character
    "SUBPATTERN": lambda arg: _sequence(list(arg[-1].data)),
    "BRANCH": _branch,
    "IN": _char_class,
    "MAX_REPEAT": _repeat,
    "MIN_REPEAT": _repeat,
    "POSSESSIVE_REPEAT": _repeat,
}


def _better(a: Needles, b: Needles) -> Needles:
    """The more selective of two needle sets: the longer shortest string, then fewer strings."""
    candidates = [n for n in (a, b) if n and min(map(len, n)) > 0]
    if not candidates:
        return None
    return max(candidates, key=lambda n: (min(map(len, n)), -len(n)))


def _longest(runs: list[str]) -> str:
    return max(runs, key=len, default="")
