"""The matching behind `shared.redact`: key words, the built-in value patterns, masking text.

Private: `shared.redact` is the public door and documents the rules (also in SECURITY.md).
RE2 (google-re2) runs every value pattern, so no pattern, built-in or user-supplied, can take
more than linear time on a hostile string.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "BUILTIN_PATTERNS",
    "QUALIFIERS",
    "REDACTED",
    "TextMasker",
    "compile_pattern",
    "key_words",
    "match_key",
]

REDACTED = "[REDACTED]"

#: Words that, right after a listed key's words, make the key describe a secret rather than hold
#: it: ``session_id`` (a correlation id, written on every record), ``token_count``,
#: ``password_length``, ``cookie_name`` are kept.
QUALIFIERS = frozenset(
    {"id", "ids", "count", "len", "length", "size", "type", "kind", "name", "expires", "expiry"}
)

#: Built-in value patterns: rule name → (RE2 pattern, replacement; ``\1`` is the kept group).
BUILTIN_PATTERNS: dict[str, tuple[str, str]] = {
    # scheme://user:password@host: the password only (userinfo may not hold "/", "?", "#", "@").
    "url_credentials": (
        r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@:]*:)[^\s/?#@\[\]]+@",
        rf"\1{REDACTED}@",
    ),
    # RFC 6750 b64token after "Bearer"; 8 characters at least, so "bearer tokens" stays prose.
    "bearer": (r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/-]{8,}=*", rf"\1{REDACTED}"),
    "email": (r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", REDACTED),
}

# name=value, "name": value and 'name': value inside a string (query strings, dict reprs, JSON
# bodies); the name is then checked against the key rules. An unquoted name before a colon is
# not taken ("Token: expired" is prose more often than data).
_KEY_VALUE = (
    r"""(?:"([\w.-]+)":|'([\w.-]+)':|([\w.-]+)\s*=)(\s*)"""
    r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s&;,"'<>(){}\[\]]+)"""
)
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+|[^\W\d_A-Za-z]+")
_PROBES = ("", "a", " ", "a b", "\n")
_SURROGATE = re.compile("[\ud800-\udfff]")


def compile_pattern(name: str, pattern: str) -> Any:
    """Compile ``pattern`` with RE2.

    Args:
        name: The rule's name, for the error message.
        pattern: RE2 syntax.

    Returns:
        The compiled pattern (text in, text out).

    Raises:
        ValueError: RE2 cannot compile it, or it matches the empty string (it would mask
            between every two characters); the message names the rule.
    """
    import re2  # type: ignore[import-untyped]  # noqa: PLC0415  (1.6 ms: only when redacting)

    options = re2.Options()
    options.log_errors = False
    try:
        compiled = re2.compile(pattern, options)
    except re2.error as exc:
        raw = exc.args[0] if exc.args else exc
        detail = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        raise ValueError(f"pattern {name!r}: RE2 cannot compile {pattern!r}: {detail}") from None
    if any(match.group(0) == "" for probe in _PROBES for match in compiled.finditer(probe)):
        raise ValueError(f"pattern {name!r}: {pattern!r} matches the empty string")
    return compiled


def key_words(key: str) -> tuple[str, ...]:
    """Return ``key`` cut into lowercase words: at ``-``, ``_``, ``.``, blanks and camelCase.

    ``X-Api-Key``, ``api_key``, ``apiKey`` and ``APIKey`` all give ``("api", "key")`` (with
    ``x`` first for the header).
    """
    return tuple(word.lower() for word in _WORDS.findall(key))


def match_key(words: tuple[str, ...], listed: Iterable[tuple[str, tuple[str, ...]]]) -> str | None:
    """Return the first listed key that ``words`` (a key's `key_words`) matches, else None.

    A listed key matches when its words occur in a row in the key's words (its last word also
    in the plural: ``tokens``), or run together as one of them (``apikey``), unless the word
    right after them is one of `QUALIFIERS` (``session_id`` keeps its value).
    """
    for name, wanted in listed:
        size = len(wanted)
        for start in range(len(words) - size + 1):
            if _words_at(words, start, wanted) and (
                start + size == len(words) or words[start + size] not in QUALIFIERS
            ):
                return name
        joined = "".join(wanted)
        if size > 1 and any(word in (joined, joined + "s") for word in words):
            return name
    return None


def _words_at(words: tuple[str, ...], start: int, wanted: tuple[str, ...]) -> bool:
    last = len(wanted) - 1
    return all(
        words[start + i] == word or (i == last and words[start + i] == word + "s")
        for i, word in enumerate(wanted)
    )


class TextMasker:
    """Masks the value patterns (and ``name=value`` of secret names) inside one string."""

    def __init__(
        self,
        patterns: dict[str, str],
        builtin: bool,
        key_rule: Callable[[str], str | None],
        key_needles: Iterable[str],
    ) -> None:
        """Compile the patterns.

        Args:
            patterns: User patterns by rule name (counted as ``pattern:<name>``).
            builtin: Also apply `BUILTIN_PATTERNS` and ``name=value`` masking.
            key_rule: Returns the key rule a name matches (``key:password``), or None.
            key_needles: Text any name the key rules match holds, lowercase (the first word
                of each listed key).

        Raises:
            ValueError: A pattern does not compile (the message names it).
        """
        self._key_rule = key_rule
        self._needles = tuple(sorted(set(key_needles)))
        self._builtin = builtin
        self._compiled = {
            name: (compile_pattern(name, pattern), replacement)
            for name, (pattern, replacement) in (BUILTIN_PATTERNS.items() if builtin else ())
        }
        self._key_value = compile_pattern("key_value", _KEY_VALUE)
        self._user = [
            (f"pattern:{name}", compile_pattern(name, pattern))
            for name, pattern in patterns.items()
        ]
        # One search for "could any user pattern match?": most strings match none of them.
        alternation = "|".join(f"(?:{pattern})" for pattern in patterns.values())
        self._any = compile_pattern("patterns", alternation) if patterns else None

    def mask(self, value: str, fired: list[str]) -> str:
        """Return ``value`` with every match masked; append the rule names that changed it.

        Args:
            value: The text. If it holds lone surrogates and something may match, they become
                U+FFFD (RE2 reads UTF-8; the writer writes them so anyway).
            fired: Receives the name of each rule that changed ``value``.

        Returns:
            The masked text (``value`` itself when nothing matched).
        """
        try:
            return self._masked(value, fired)
        except UnicodeEncodeError:
            return self._masked(_SURROGATE.sub("\ufffd", value), fired)

    def _masked(self, value: str, fired: list[str]) -> str:
        # Each built-in rule runs only when a plain-Python test of what any match of it must
        # contain passes: most strings hold no "=", "@" or "bearer" and cost a few `in` tests.
        if self._builtin:
            lowered = value.lower()
            if ("=" in value or '":' in value or "':" in value) and any(
                needle in lowered for needle in self._needles
            ):
                value = self._key_value.sub(lambda match: self._pair(match, fired), value)
            if "@" in value:
                if "://" in value:
                    value = self._apply("url_credentials", value, fired)
                value = self._apply("email", value, fired)
            if "bearer" in lowered:
                value = self._apply("bearer", value, fired)
        if self._any is not None and self._any.search(value) is not None:
            for name, compiled in self._user:
                masked, count = compiled.subn(REDACTED, value)
                if count and masked != value:
                    value = masked
                    fired.append(name)
        return value

    def _apply(self, name: str, value: str, fired: list[str]) -> str:
        compiled, replacement = self._compiled[name]
        masked, count = compiled.subn(replacement, value)
        if count and masked != value:
            fired.append(name)
            return str(masked)
        return value

    def _pair(self, match: Any, fired: list[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(3)
        secret = match.group(5)
        quote = secret[0] if secret[0] in "\"'" else ""
        rule = self._key_rule(name)
        if rule is None or secret in (REDACTED, f"{quote}{REDACTED}{quote}"):
            return str(match.group(0))
        fired.append(rule)
        head = match.group(0)[: match.start(5) - match.start(0)]
        return f"{head}{quote}{REDACTED}{quote}"
