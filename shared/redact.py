"""Redaction: secrets in records become ``"[REDACTED]"`` before a record leaves or is written.

On for support bundles, optional for every export, and at write time with
``LogConfig(redact=True)`` (or a `RedactionRules`), so secrets never reach disk or the console.
The rules live in one place, `RedactionRules`, given in code or loaded from a JSON or TOML file
by `load_rules`; SECURITY.md ("Redaction") is the user's guide. Two kinds of rule:

- **Keys** (``key:<listed key>``): the value of any field whose key matches a listed key, at any
  depth of ``fields`` (dicts in dicts, dicts in lists), becomes ``[REDACTED]`` whatever it
  holds (a dict, a list, a number), except None. A key is cut into lowercase words at ``-``,
  ``_``, ``.``, blanks and camelCase (`key_words`), and so is each listed key; the key matches
  when the listed words occur in it in a row (the last one also in the plural) or run together
  as one word, unless a qualifier such as ``id``, ``count``, ``length``, ``type`` or ``name``
  follows them (`QUALIFIERS`). So ``token`` matches ``access_token``, ``X-Auth-Token``,
  ``refreshTokens``; ``api_key`` matches ``X-Api-Key``, ``apiKey``, ``apikey``; ``session``
  matches ``session`` and ``user_session`` but not ``session_id`` (the context id every record
  carries, see `shared.writer.context.LogContext`) nor ``token_count``. Inside strings,
  ``name=value``, ``"name": value`` and ``'name': value`` (query strings, dict reprs, JSON
  text) have the value masked when the name matches, counted under the same key rule.
- **Value patterns**, masked inside every string (the message, field values and keys, the span
  name): the built-in ``url_credentials`` (``https://user:[REDACTED]@host``), ``bearer``
  (``Bearer [REDACTED]``) and ``email``, and user patterns (``pattern:<name>``, RE2 syntax,
  the whole match masked). RE2 runs them all, so none can take more than linear time.

``target``, ``timestamp``, ``level``, ``category``, ``pid`` and ``source`` are never changed.
Each rule counts the values it changed (a string with two e-mail addresses counts once):
`Redactor.counts`, which the bundle manifest reports.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import weakref
from collections.abc import Mapping
from datetime import date, datetime, time
from enum import Enum
from typing import Any
from uuid import UUID

from shared._redact_rules import DEFAULT_KEYS, RedactionRules, load_rules
from shared._redact_text import (
    BUILTIN_PATTERNS,
    QUALIFIERS,
    REDACTED,
    TextMasker,
    key_words,
    match_key,
)
from shared.writer.encode import MAX_DEPTH, json_default, safe_repr

__all__ = [
    "DEFAULT_KEYS",
    "QUALIFIERS",
    "REDACTED",
    "RedactionRules",
    "Redactor",
    "key_words",
    "load_rules",
    "redactor_for",
]

_KEPT = frozenset({int, float, bool, type(None)})
_LEAVES = (int, float, datetime, date, time, UUID, Enum)  # orjson writes them; no text inside
_CACHE_LIMIT = 4096
_CLEAN_MAX = 256  # longest text remembered as holding nothing to mask
_CYCLE = "<cycle>"  # what the encoder writes for a container inside itself


_live: weakref.WeakSet[Redactor] = weakref.WeakSet()


def _fresh_locks() -> None:
    # A fork while another thread held a redactor's lock would leave it locked in the child.
    for redactor in list(_live):
        redactor._lock = threading.Lock()


os.register_at_fork(after_in_child=_fresh_locks)


def redactor_for(setting: bool | RedactionRules) -> Redactor | None:
    """Return the redactor of a `LogConfig.redact` setting: None for False, defaults for True."""
    if isinstance(setting, RedactionRules):
        return Redactor(setting)
    return Redactor() if setting else None


class Redactor:
    """Applies one set of rules to records and strings, and counts what each rule changed.

    Safe to share between threads (the counts are updated under a lock, only when something
    changed).
    """

    def __init__(self, rules: RedactionRules | None = None) -> None:
        """Compile ``rules``.

        Args:
            rules: The rules; the defaults when None.

        Raises:
            ValueError: A pattern RE2 cannot compile (the message names the rule).
        """
        self.rules = rules if rules is not None else RedactionRules()
        self._listed = [(f"key:{key}", key_words(key)) for key in self.rules.keys]
        builtin = self.rules.builtin_patterns
        needles = [words[0] for _, words in self._listed]
        self._masker = TextMasker(self.rules.patterns, builtin, self._key_rule, needles)
        names = [name for name, _ in self._listed]
        names += list(BUILTIN_PATTERNS) if builtin else []
        names += [f"pattern:{name}" for name in self.rules.patterns]
        self._counts = dict.fromkeys(names, 0)
        self._lock = threading.Lock()
        _live.add(self)
        self._key_rules: dict[str, str | None] = {}
        self._plain: set[str] = set()  # keys that match no key rule and no pattern
        self._clean: set[str] = set()

    @property
    def counts(self) -> dict[str, int]:
        """Rule name → values it changed so far (every rule listed, from 0)."""
        with self._lock:
            return dict(self._counts)

    def text(self, value: str) -> str:
        """Return ``value`` with the value patterns masked (``name=value`` of listed keys too).

        Args:
            value: Any text, e.g. a message or a line.

        Returns:
            The masked text.
        """
        clean = self._clean
        if value in clean:
            return value
        fired: list[str] = []
        masked = self._masker.mask(value, fired)
        if fired:
            self._count(fired)
        elif masked == value and len(value) <= _CLEAN_MAX:
            # Messages, paths and ids repeat: a set lookup instead of scanning them again.
            if len(clean) >= _CACHE_LIMIT:
                clean.clear()
            clean.add(value)
        return masked

    def record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Return a redacted copy of a record or query entry; ``record`` is left as it was.

        Args:
            record: A record (PROTOCOL keys): ``message`` and the ``span`` name are masked,
                ``fields`` redacted by key and masked at every depth; every other key is kept.

        Returns:
            The copy. Values orjson would not write as they are (sets, bytes, models, other
            objects) are replaced by the stand-in the writer would write, then redacted.
        """
        out = dict(record)
        message = out.get("message")
        if isinstance(message, str):
            out["message"] = self.text(message)
        if "fields" in out:
            out["fields"] = self._walk(out["fields"], 2, set())
        span = out.get("span")
        if span is not None and isinstance(span, Mapping) and isinstance(span.get("name"), str):
            out["span"] = {**span, "name": self.text(span["name"])}
        return out

    def _walk(self, value: Any, depth: int, active: set[int]) -> Any:
        # Exact types first (the values records hold), subclasses and other objects after.
        kind = type(value)
        if kind is str:
            return self.text(value)
        if kind in _KEPT:
            return value
        if kind is dict or kind is list or kind is tuple:
            return self._container(value, depth, active)
        return self._other(value, depth, active)

    def _other(self, value: Any, depth: int, active: set[int]) -> Any:
        if isinstance(value, _LEAVES):  # IntEnum, StrEnum, datetimes, UUIDs: kept as they are
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict | list | tuple):
            return self._container(value, depth, active)
        return self._walk(_stand_in(value), depth, active)

    def _container(self, value: Any, depth: int, active: set[int]) -> Any:
        if depth > MAX_DEPTH:
            return self.text(safe_repr(value))  # as the encoder cuts it, then masked
        if isinstance(value, dict):
            return self._dict(value, depth, active)
        return self._list(value, depth, active)

    def _list(self, value: list[Any] | tuple[Any, ...], depth: int, active: set[int]) -> Any:
        if id(value) in active:
            return _CYCLE
        active.add(id(value))
        try:
            return [self._walk(item, depth + 1, active) for item in value]
        finally:
            active.discard(id(value))

    def _dict(self, value: dict[Any, Any], depth: int, active: set[int]) -> Any:
        if id(value) in active:
            return _CYCLE
        active.add(id(value))
        try:
            out: dict[Any, Any] = {}
            plain, text, walk, kept = self._plain, self.text, self._walk, _KEPT
            for key, item in value.items():
                # Most keys match no rule: a set lookup, and the common leaves inline (this loop
                # runs for every field of every record when the writer redacts).
                if key in plain:
                    kind = type(item)
                    if kind is str:
                        out[key] = text(item)
                    elif kind in kept:
                        out[key] = item
                    else:
                        out[key] = walk(item, depth + 1, active)
                else:
                    self._entry(out, key, item, depth, active)
            return out
        finally:
            active.discard(id(value))

    def _entry(
        self, out: dict[Any, Any], key: Any, item: Any, depth: int, active: set[int]
    ) -> None:
        if not isinstance(key, str):
            out[key] = self._walk(item, depth + 1, active)
            return
        fired: list[str] = []
        name = self._masker.mask(key, fired)
        rule = self._key_rule(key)
        if not fired and rule is None and name == key:
            if len(self._plain) >= _CACHE_LIMIT:
                self._plain.clear()
            self._plain.add(key)
        if fired:
            self._count(fired)
        if name in out:  # two keys masked alike: keep both values
            name = f"{name}#{len(out)}"
        if rule is None or item is None:
            out[name] = self._walk(item, depth + 1, active)
            return
        if not (type(item) is str and item == REDACTED):
            self._count([rule])
        out[name] = REDACTED

    def _key_rule(self, key: str) -> str | None:
        try:
            return self._key_rules[key]
        except KeyError:
            rule = match_key(key_words(key), self._listed)
            if len(self._key_rules) >= _CACHE_LIMIT:
                self._key_rules.clear()
            self._key_rules[key] = rule
            return rule

    def _count(self, fired: list[str]) -> None:
        with self._lock:
            for name in set(fired):
                self._counts[name] = self._counts.get(name, 0) + 1


def _stand_in(value: Any) -> Any:
    # What the writer would write for a value orjson does not take as it is, as data to walk:
    # a dataclass's fields, a model's JSON form, a sorted list for a set, text for the rest.
    try:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
        stand_in = json_default(value)
    except Exception:  # a hostile model_dump or property: its repr, like the encoder
        return safe_repr(value)
    return stand_in if isinstance(stand_in, str | dict | list) else safe_repr(stand_in)
