"""The record's vocabulary shared by every reader module: levels, categories, timestamps.

Kept free of pydantic (the command line imports the reader without it); `tests/shared/test_parse.py`
checks that these names agree with the models in `shared._events`.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = [
    "CATEGORIES",
    "CATEGORY_ORDER",
    "LEVELS",
    "LEVEL_RANK",
    "MalformedLineError",
    "canonical_timestamp",
    "epoch_timestamp",
    "format_timestamp",
]

LEVELS = ("trace", "debug", "info", "warn", "error")
LEVEL_RANK = {name: rank for rank, name in enumerate(LEVELS)}
#: The categories in a fixed order (the time index numbers them so: `shared.reader.timeindex`).
CATEGORY_ORDER = (
    "database", "midi", "file", "network", "system", "performance", "security", "user", "unknown",
)  # fmt: skip
CATEGORIES = frozenset(CATEGORY_ORDER)


class MalformedLineError(ValueError):
    """A line that is not a record; ``reason`` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def canonical_timestamp(text: str) -> str:
    """``text`` as the fixed-width UTC form ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.

    Raises:
        MalformedLineError: ``text`` is not an ISO 8601 timestamp.
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise MalformedLineError("invalid timestamp") from None
    if _canonical_layout(text):
        return text  # fromisoformat has checked the digits
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # naive times in logs are taken as UTC
    try:
        return format_timestamp(moment)
    except OverflowError:  # year 1 or 9999 with an offset: no such time in UTC
        raise MalformedLineError("timestamp out of range") from None


def _canonical_layout(text: str) -> bool:
    # The separators too: ISO week dates such as 2026-W01-1T… have the same length.
    return (
        len(text) == 27
        and text[26] == "Z"
        and text[19] == "."
        and text[10] == "T"
        and text[4] == text[7] == "-"
        and text[13] == text[16] == ":"
    )


def format_timestamp(moment: datetime) -> str:
    """A timezone-aware datetime as canonical timestamp text (UTC, microseconds, ``Z``)."""
    m = moment.astimezone(UTC)
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
        f".{m.microsecond:06d}Z"
    )


#: Epoch numbers are told apart by size: seconds reach 1e11 only in the year 5138, milliseconds
#: 1e14 in 5138, microseconds 1e17. Larger values are nanoseconds.
_EPOCH_UNITS = ((1e11, 1), (1e14, 1_000), (1e17, 1_000_000))


def epoch_timestamp(value: float, unit: str | None = None) -> str:
    """Canonical text of an epoch number; ``unit`` ("s", "ms", "us", "ns") or guessed by size.

    Integers are converted exactly (no float rounding of nanoseconds).

    Raises:
        MalformedLineError: the value is no time (negative beyond 1970, out of range, NaN).
    """
    divisor = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}.get(unit or "", 0)
    if not divisor:
        size = abs(value)
        divisor = next((d for limit, d in _EPOCH_UNITS if size < limit), 1_000_000_000)
    try:
        if isinstance(value, int):
            micros = value * 1_000_000 // divisor
            seconds, micros = divmod(micros, 1_000_000)
            moment = datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)
        else:
            moment = datetime.fromtimestamp(value / divisor, UTC)
        return format_timestamp(moment)
    except (ValueError, OverflowError, OSError):
        raise MalformedLineError("timestamp out of range") from None
