"""`RedactionRules` and `load_rules`: where the redaction rules live (see `shared.redact`)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared._redact_text import compile_pattern, key_words

__all__ = ["DEFAULT_KEYS", "RedactionRules", "load_rules"]

#: The keys whose values are redacted by default (see `shared.redact` for the matching).
DEFAULT_KEYS = (
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "authorization",
    "cookie",
    "session",
)


class RedactionRules(BaseModel):
    """What is redacted: the one place the rules live (in `LogConfig` or a file)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    keys: list[str] = Field(default_factory=lambda: list(DEFAULT_KEYS))
    """Keys whose values become ``[REDACTED]``: matched by words, case-insensitively, at any
    depth of ``fields``."""
    patterns: dict[str, str] = Field(default_factory=dict)
    """Extra value patterns by rule name (RE2 syntax), masked inside strings."""
    builtin_patterns: bool = True
    """Also mask bearer tokens, ``user:password@`` in URLs, e-mail addresses and ``key=value``
    of listed keys inside strings."""

    @field_validator("keys")
    @classmethod
    def _keys_have_words(cls, keys: list[str]) -> list[str]:
        for key in keys:
            if not key_words(key):
                raise ValueError(f"key {key!r} has no letters or digits to match")
        return keys

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, patterns: dict[str, str]) -> dict[str, str]:
        for name, pattern in patterns.items():
            if not name.strip():
                raise ValueError("every pattern needs a non-empty name")
            compile_pattern(name, pattern)
        return patterns


def load_rules(path: Path | None) -> RedactionRules:
    """Read redaction rules from a ``.json`` or ``.toml`` file.

    The file holds the fields of `RedactionRules` at its top level, e.g. in TOML::

        keys = ["password", "token", "pin"]
        [patterns]
        serial = "MSC-[0-9]{4}-[0-9]{4}"

    Args:
        path: The file; None for the default rules.

    Returns:
        The rules (fields the file leaves out keep their defaults).

    Raises:
        ValueError: The file cannot be read, is not valid JSON/TOML, or holds an unknown field,
            a value of the wrong type or a pattern RE2 cannot compile; the message names the
            file and the problem.
    """
    if path is None:
        return RedactionRules()
    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    if kind not in ("json", "toml"):
        raise ValueError(f"redaction rules file {path}: expected a .json or .toml file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(
            f"cannot read redaction rules file {path}: {exc.strerror or exc}"
        ) from None
    try:
        raw = json.loads(data) if kind == "json" else tomllib.loads(data.decode("utf-8"))
    except ValueError as exc:  # JSONDecodeError, TOMLDecodeError and UnicodeDecodeError
        raise ValueError(f"redaction rules file {path}: not valid {kind.upper()}: {exc}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"redaction rules file {path}: expected an object of rules at the top")
    try:
        return RedactionRules.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        )
        raise ValueError(f"redaction rules file {path}: {problems}") from None
