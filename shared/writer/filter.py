"""Level thresholds per destination and per target, and the ``MSC_LOG`` directive syntax.

``MSC_LOG`` works like ``RUST_LOG``'s EnvFilter: comma-separated directives, where a bare level
(``info``) sets the default of both destinations and ``target=level`` (``backend.commands=debug``)
overrides it for that target and the targets below it (``backend.commands.export``). The longest
matching target wins. ``off`` silences a target. Unlike ``RUST_LOG`` a bare word that is not a level
is an error, not "everything for that target": a misspelt level must not pass silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shared._events import LEVEL_RANK, Level
from shared.writer.config import LoggingError, normalize_level

__all__ = ["OFF", "Directives", "TargetLevels", "parse_directives"]

#: Rank above ``error``: nothing passes.
OFF = len(LEVEL_RANK)
Off = Literal["off"]
_RANKS: dict[str, int] = {**LEVEL_RANK, "off": OFF}

# Bounded so that targets built from data (a logger per file name...) cannot grow it forever.
_CACHE_LIMIT = 4096


@dataclass(frozen=True)
class Directives:
    """Parsed ``MSC_LOG``: an optional default rank and per-target overrides."""

    default: int | None = None
    #: ``(target, rank)``, longest target first so the first match is the most specific.
    overrides: tuple[tuple[str, int], ...] = ()

    def match(self, target: str) -> int | None:
        """Return the rank of the most specific override covering ``target``, if any.

        Args:
            target: A logger name such as ``backend.commands``.

        Returns:
            The override's rank, or None when no directive names ``target`` or a parent of it.
        """
        for prefix, rank in self.overrides:
            if target == prefix or (target.startswith(prefix) and target[len(prefix)] == "."):
                return rank
        return None


def parse_directives(text: str) -> Directives:
    """Parse an ``MSC_LOG`` string such as ``info,backend.commands=debug,shared=warn``.

    Args:
        text: Comma-separated directives; blanks around items are ignored.

    Returns:
        The parsed directives.

    Raises:
        LoggingError: A directive has an unknown level or an empty or malformed target; the
            message names the directive.
    """
    default: int | None = None
    overrides: dict[str, int] = {}
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        target, sep, level = item.partition("=")
        if not sep:
            default = _rank(item, item)
            continue
        target = target.strip()
        if not target or any(ch.isspace() or ch == "=" for ch in target) or "=" in level:
            raise LoggingError(f"MSC_LOG: bad directive {item!r}: expected target=level")
        overrides[target] = _rank(level.strip(), item)
    ordered = sorted(overrides.items(), key=lambda pair: len(pair[0]), reverse=True)
    return Directives(default, tuple(ordered))


def _rank(level: str, item: str) -> int:
    if level.lower() == "off":
        return OFF
    try:
        return LEVEL_RANK[normalize_level(level)]
    except ValueError:
        raise LoggingError(
            f"MSC_LOG: bad directive {item!r}: unknown level {level!r} "
            "(expected trace, debug, info, warn, error or off)"
        ) from None


class TargetLevels:
    """The console and file thresholds (ranks) of each target."""

    def __init__(
        self, console: Level | Off, file: Level | Off, directives: Directives | None = None
    ) -> None:
        """Combine the configured levels with optional ``MSC_LOG`` directives.

        Args:
            console: `LogConfig.console_level` (or ``"off"``).
            file: `LogConfig.file_level` (or ``"off"``).
            directives: Parsed ``MSC_LOG``; its levels apply to both destinations.
        """
        self._directives = directives or Directives()
        default = self._directives.default
        self._console = _RANKS[console] if default is None else default
        self._file = _RANKS[file] if default is None else default
        #: target → thresholds, filled by `thresholds`; read directly on the hot path.
        self.cache: dict[str, tuple[int, int]] = {}

    def thresholds(self, target: str) -> tuple[int, int]:
        """Return ``(console_rank, file_rank)``: a record passes where its rank is ≥ the value.

        Args:
            target: The record's target.

        Returns:
            The two thresholds; `OFF` silences a destination.
        """
        found = self.cache.get(target)
        if found is None:
            rank = self._directives.match(target)
            found = (self._console, self._file) if rank is None else (rank, rank)
            if len(self.cache) >= _CACHE_LIMIT:
                self.cache.clear()
            self.cache[target] = found
        return found

    def floor(self, target: str) -> int:
        """Return the least rank either destination accepts for ``target``."""
        console, file = self.thresholds(target)
        return min(console, file)

    def lowest(self) -> int:
        """Return the least rank any destination accepts for any target."""
        ranks = [self._console, self._file, *(rank for _, rank in self._directives.overrides)]
        return min(ranks)
