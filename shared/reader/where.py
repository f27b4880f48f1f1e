"""The ``where`` filter's language: typed field comparisons combined with and/or/not and text.

Grammar (whitespace separates tokens; keywords are case-insensitive)::

    expr       := or
    or         := and ('or' and)*
    and        := not (['and'] not)*          -- juxtaposition is and, as in a search box
    not        := 'not' not | atom
    atom       := '(' expr ')' | comparison | text
    comparison := key op value                -- spaces around op are allowed
    op         := '=' | '!=' | '>' | '>=' | '<' | '<=' | '~' | '!~'
    value      := "quoted" | bare              -- bare: up to whitespace or ')' (and not
                                               -- a keyword after a space: ``x>= and y``)
    text       := "quoted" | bare word         -- a term searched as `search` searches

A bare word ends at whitespace, a parenthesis, a quote or an operator; a value after an operator
ends only at whitespace or ``)`` (``fields.path~/songs/`` compares with ``/songs/``). In a quoted
string a backslash makes the next character literal (``"say \\"hi\\""``).

Keys: ``timestamp``, ``level``, ``category``, ``message``, ``target``, ``pid``, ``source``,
``origin``, ``span.name``, ``span.id``, ``span.parent_id``; ``fields.a.b`` for a nested field;
any other key is a field (``duration_ms`` is ``fields.duration_ms``). What comparisons mean is
`shared.reader.where_match`'s docstring (and docs/PROTOCOL.md).

This module parses (`parse_where`) and prints (`unparse`) the tree; errors name the 1-based
column (`WhereError`). Pydantic-free, for the command line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.reader.records import LEVELS, format_timestamp

__all__ = [
    "NUMBER",
    "TOP_KEYS",
    "And",
    "Compare",
    "Node",
    "Not",
    "Or",
    "Text",
    "WhereError",
    "parse_time",
    "parse_where",
    "unparse",
]

OPS = ("!=", "!~", ">=", "<=", "=", ">", "<", "~")
#: A number literal (``500``, ``-1.5``, ``2e3``): such a comparison is numeric.
NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
#: The record's own keys; any other key names a field.
TOP_KEYS = frozenset(
    {"timestamp", "level", "category", "message", "target", "pid", "source", "origin"}
    | {"span.name", "span.id", "span.parent_id"}
)
KEYWORDS = frozenset(("and", "or", "not"))
_OP_START = frozenset("=<>~")
#: Whitespace, as the page's parser has it too (not Python's wider `str.isspace`).
SPACE = frozenset(" \t\n\r\f\v")
_ENDS_WORD = SPACE | frozenset('()"')


class WhereError(ValueError):
    """A ``where`` expression that does not parse: ``where: column N: what was expected``."""

    def __init__(self, column: int, detail: str) -> None:
        super().__init__(f"where: column {column}: {detail}")
        self.column = column
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Text:
    """A plain term: the entry's texts hold it, ignoring case (as ``search``)."""

    text: str


@dataclass(frozen=True, slots=True)
class Compare:
    """``key op value`` (``key`` as written; ``value`` unquoted)."""

    key: str
    op: str
    value: str


@dataclass(frozen=True, slots=True)
class Not:
    """The negation of ``item``."""

    item: Node


@dataclass(frozen=True, slots=True)
class And:
    """Every item holds (two or more)."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """One item holds at least (two or more)."""

    items: tuple[Node, ...]


Node = Text | Compare | Not | And | Or


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "word", "string", "op", "(", ")", "end"
    text: str
    column: int


def parse_where(source: str) -> Node | None:
    """The tree of a ``where`` expression; None for a blank one (no filter).

    Raises:
        WhereError: the expression does not parse, or a ``level`` / ``timestamp`` comparison
            has a value that is no level / time; the message names the 1-based column.
    """
    parser = _Parser(source)
    if parser.peek().kind == "end":
        return None
    node = parser.parse_or()
    token = parser.peek()
    if token.kind != "end":
        raise WhereError(token.column, f"unexpected {_shown(token)}")
    return node


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.pos_after_op = 0
        self._peeked: _Token | None = None

    def peek(self) -> _Token:
        if self._peeked is None:
            self._peeked = self._lex()
        return self._peeked

    def take(self) -> _Token:
        token = self.peek()
        self._peeked = None
        return token

    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while _is_keyword(self.peek(), "or"):
            self.take()
            items.append(self.parse_and("or"))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self, after: str | None = None) -> Node:
        items = [self.parse_not(after)]
        while True:
            token = self.peek()
            if _is_keyword(token, "and"):
                self.take()
                items.append(self.parse_not("and"))
            elif token.kind in ("word", "string", "(") and not _is_keyword(token, "or"):
                items.append(self.parse_not())
            else:
                return items[0] if len(items) == 1 else And(tuple(items))

    def parse_not(self, after: str | None = None) -> Node:
        if _is_keyword(self.peek(), "not"):
            self.take()
            return Not(self.parse_not("not"))
        return self.parse_atom(after)

    def parse_atom(self, after: str | None) -> Node:
        token = self.take()
        if token.kind == "(":
            node = self.parse_or()
            close = self.take()
            if close.kind != ")":
                raise WhereError(
                    close.column, f"expected ')' to close the '(' at column {token.column}"
                )
            return node
        if token.kind == "op":
            raise WhereError(token.column, f"expected a key before '{token.text}'")
        if token.kind in ("end", ")") or (token.kind == "word" and token.text.lower() in KEYWORDS):
            where = f" after '{after}'" if after else ""
            raise WhereError(token.column, f"expected a term{where}, not {_shown(token)}")
        if self.peek().kind == "op":
            return self._comparison(token)
        return Text(token.text)

    def _comparison(self, key: _Token) -> Compare:
        op = self.take()
        if key.kind != "word" or not _valid_key(key.text):
            raise WhereError(key.column, f"expected a key before '{op.text}', not {_shown(key)}")
        value = self._value(op)
        _check_value(key.text, op.text, value)
        return Compare(key.text, op.text, value.text)

    def _value(self, op: _Token) -> _Token:
        source, pos = self.source, self.pos
        self.pos_after_op = pos
        while pos < len(source) and source[pos] in SPACE:
            pos += 1
        self.pos = pos
        if pos < len(source) and source[pos] == '"':
            return self._string()
        end = pos
        while end < len(source) and source[end] not in SPACE and source[end] != ")":
            end += 1
        spaced = pos > self.pos_after_op
        if end == pos or (spaced and source[pos:end].lower() in KEYWORDS):
            # ``x>= and y`` lacks a value (``x>=and`` compares with the word "and")
            raise WhereError(pos + 1, f"expected a value after '{op.text}'")
        self.pos = end
        return _Token("word", source[pos:end], pos + 1)

    def _lex(self) -> _Token:
        source = self.source
        while self.pos < len(source) and source[self.pos] in SPACE:
            self.pos += 1
        start = self.pos
        if start >= len(source):
            return _Token("end", "", start + 1)
        char = source[start]
        if char in "()":
            self.pos += 1
            return _Token(char, char, start + 1)
        if char == '"':
            return self._string()
        op = _op_at(source, start)
        if op:
            self.pos += len(op)
            return _Token("op", op, start + 1)
        end = start
        while end < len(source) and source[end] not in _ENDS_WORD and not _op_at(source, end):
            end += 1
        self.pos = end
        return _Token("word", source[start:end], start + 1)

    def _string(self) -> _Token:
        source, start = self.source, self.pos
        chars: list[str] = []
        pos = start + 1
        while pos < len(source):
            char = source[pos]
            if char == '"':
                self.pos = pos + 1
                return _Token("string", "".join(chars), start + 1)
            if char == "\\" and pos + 1 < len(source):
                pos += 1
                char = source[pos]
            chars.append(char)
            pos += 1
        raise WhereError(start + 1, "unterminated quoted string")


def _op_at(source: str, pos: int) -> str:
    char = source[pos]
    if char not in _OP_START and char != "!":
        return ""
    return next((op for op in OPS if source.startswith(op, pos)), "")


def _is_keyword(token: _Token, word: str) -> bool:
    return token.kind == "word" and token.text.lower() == word


def _shown(token: _Token) -> str:
    return "the end" if token.kind == "end" else _clip(token.text)


def _clip(text: str) -> str:
    """``text`` quoted for a message, cut at 40 characters (an expression may be long)."""
    return f"'{text}'" if len(text) <= 40 else f"'{text[:40]}…'"


def _valid_key(key: str) -> bool:
    return key.lower() not in KEYWORDS and "" not in key.split(".") and key != "fields"


def _check_value(key: str, op: str, value: _Token) -> None:
    if op in ("~", "!~"):
        return
    if key == "level" and value.text not in LEVELS:
        levels = ", ".join(LEVELS)
        raise WhereError(value.column, f"expected a level ({levels}), not {_clip(value.text)}")
    if key == "timestamp" and parse_time(value.text) is None:
        raise WhereError(
            value.column, f"expected a time (RFC 3339 or YYYY-MM-DD), not {_clip(value.text)}"
        )


_TIME = re.compile(
    r"\d{4}-\d\d-\d\d(?:[Tt ]\d\d:\d\d(?::\d\d(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d\d:\d\d)?)?"
)


def parse_time(text: str) -> str | None:
    """Canonical UTC text of an RFC 3339 time or a date (midnight UTC); None if neither.

    A time without an offset is UTC; fractions beyond microseconds are cut (not rounded).
    """
    if not _TIME.fullmatch(text):
        return None
    head, dot, rest = text.partition(".")
    if dot:  # Python reads at most 6 fraction digits
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z").replace("t", "T"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return format_timestamp(moment)
    except (ValueError, OverflowError):
        return None


def unparse(node: Node) -> str:
    """Expression text that parses back to ``node`` (`parse_where`)."""
    if isinstance(node, Text):
        return _quoted(node.text, bare=_bare_word(node.text))
    if isinstance(node, Compare):
        return f"{node.key}{node.op}{_quoted(node.value, bare=_bare_value(node.value))}"
    if isinstance(node, Not):
        return f"not {_inner(node.item)}"
    joiner = " and " if isinstance(node, And) else " or "
    return joiner.join(_inner(item) for item in node.items)


def _inner(node: Node) -> str:
    return f"({unparse(node)})" if isinstance(node, And | Or) else unparse(node)


def _quoted(text: str, *, bare: bool) -> str:
    if bare:
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _bare_word(text: str) -> bool:
    return (
        bool(text)
        and text.lower() not in KEYWORDS
        and not any(c in _ENDS_WORD or c == "\\" for c in text)
        and not any(_op_at(text, i) for i in range(len(text)))
    )


def _bare_value(text: str) -> bool:
    # A leading operator character would join the operator before it (``>`` then ``=5``).
    return (
        bool(text) and text[0] not in "=<>~!" and not any(c in SPACE or c in ')"\\' for c in text)
    )
