"""A search over plain-text logs skips the chunks that hold none of its needles, and finds
exactly what reading every entry would (a hit in a traceback line included)."""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.reader import scan as _scan
from shared.reader import textmode as _textmode
from shared.reader.match import Criteria, Matcher
from shared.reader.query import LogQuery, iter_logs, query_logs

sys.path.insert(0, str(Path(__file__).parent))
from readerdata import EXAMPLES

VOCABULARY = ["alpha", "Beta", "gamma", "Delta", "connection", "refused", "straße", "ZOË", "42"]
SEARCHES = ["alpha", "BETA", "refused", "connection refused", "STRASSE", "zoë", "ValueError",
            "line 3", "nothing-here"]  # fmt: skip


@st.composite
def text_logs(draw: st.DrawFn) -> bytes:
    """Python logging lines, some with a traceback whose last line holds words too."""
    lines = []
    for second in range(draw(st.integers(1, 60))):
        words = " ".join(draw(st.lists(st.sampled_from(VOCABULARY), max_size=4)))
        level = draw(st.sampled_from(["INFO", "WARNING", "ERROR", "DEBUG"]))
        lines.append(
            f"2026-12-06 10:{second // 60:02d}:{second % 60:02d},123 - app - {level} - {words}"
        )
        if draw(st.booleans()):
            tail = " ".join(draw(st.lists(st.sampled_from(VOCABULARY), max_size=3)))
            lines += [
                "Traceback (most recent call last):",
                '  File "app.py", line 3, in <module>',
                f"ValueError: {tail}",
            ]
    return ("\n".join(lines) + "\n").encode()


@contextlib.contextmanager
def tiny_chunks(tiny: bool) -> Iterator[None]:
    """Many chunk borders: entries and tracebacks cut across them."""
    with contextlib.ExitStack() as stack:
        if tiny:
            stack.enter_context(mock.patch.object(_scan, "MAX_CHUNK", 160))
            stack.enter_context(mock.patch.object(_textmode, "TEXT_FIRST_CHUNK", 64))
        yield


def messages(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(entry["id"], entry["message"]) for entry in entries]


class TestTextSearch:
    @given(text_logs(), st.sampled_from(SEARCHES), st.integers(1, 8), st.booleans())
    @settings(max_examples=EXAMPLES * 3, deadline=None)
    def test_last_n_equal_reading_every_entry(
        self, log: bytes, search: str, limit: int, tiny: bool
    ) -> None:
        """The last N matches, with chunks skipped for lack of a needle, are the last N of
        every entry read and tested one by one."""
        with tempfile.TemporaryDirectory() as tmp, tiny_chunks(tiny):
            (Path(tmp) / "app.log").write_bytes(log)
            matcher = Matcher(Criteria(search=search))
            every = [e for e in iter_logs(Path(tmp), LogQuery()) if matcher.matches(e)]
            found = query_logs(Path(tmp), LogQuery(search=search), limit=limit).entries
            assert messages(found) == messages(every[-limit:])

    def test_a_hit_only_in_a_traceback_line_finds_its_entry(self, tmp_path: Path) -> None:
        """The needle on an entry's last continuation line, chunks away from its first line."""
        filler = "".join(
            f"2026-12-06 10:00:{i % 60:02d},000 - app - INFO - filler {i}\n" for i in range(500)
        )
        entry = (
            "2026-12-06 10:01:00,000 - app - ERROR - failed\n"
            "Traceback (most recent call last):\n"
            + "".join(f'  File "m{i}.py", line {i}, in f\n' for i in range(200))
            + "KeyError: zebrafish\n"
        )
        (tmp_path / "app.log").write_text(filler + entry + filler)
        with tiny_chunks(True):
            found = query_logs(tmp_path, LogQuery(search="ZEBRAFISH"), limit=10).entries
        assert len(found) == 1
        assert found[0]["message"].startswith("failed")
        assert "KeyError: zebrafish" in found[0]["message"]
