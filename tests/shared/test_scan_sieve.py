"""A search reads its file through one reused buffer and skips the chunks without a hit
(`shared.reader.scan.sieved_backward`): it must find exactly what reading every line finds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from shared.reader.query import LogQuery, query_logs
from shared.reader.scan import SIEVE_CHUNK, ScanStats, chunks_backward, sieved_backward
from shared.reader.sources import fd_reader

APP = "app"


def _line(n: int, message: str) -> str:
    record = {
        "timestamp": f"2026-12-07T00:00:00.{n:06d}Z",
        "level": "info",
        "category": "midi",
        "message": message,
        "target": "tests.sieve",
        "fields": {"n": n},
        "span": None,
        "pid": 1,
    }
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def _write(log_dir: Path, lines: list[str]) -> Path:
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / f"{APP}.log"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _filler_lines(count: int) -> list[str]:
    return [_line(n, f"ordinary note number {n} on channel {n % 16}") for n in range(count)]


def _messages(log_dir: Path, search: str, limit: int = 1000) -> list[str]:
    result = query_logs(log_dir, LogQuery(search=search), limit, app_name=APP)
    return [entry["message"] for entry in result.entries]


class TestSievedSearch:
    def test_hits_on_both_sides_of_every_chunk_edge_are_found(self, tmp_path: Path) -> None:
        """Hits in the first and last line of each buffer-sized chunk, and on the lines that
        straddle an edge, all come back, in order, and nothing else does."""
        lines = _filler_lines(120_000)  # about 3 chunks
        edges, size = [], 0
        for index, line in enumerate(lines):
            size += len(line)
            if size // SIEVE_CHUNK != (size - len(line)) // SIEVE_CHUNK:
                edges.append(index)
        assert len(edges) >= 2
        hits = sorted({0, len(lines) - 1} | {i + d for i in edges for d in (-1, 0, 1)})
        for index in hits:
            lines[index] = _line(index, f"Zebrafish spotted {index}")
        _write(tmp_path, lines)

        assert _messages(tmp_path, "ZEBRAFISH") == [f"Zebrafish spotted {i}" for i in hits]

    def test_a_chunk_without_a_hit_but_with_an_escape_is_searched(self, tmp_path: Path) -> None:
        """A needle hidden behind a ``\\u`` escape in the file is still found."""
        lines = _filler_lines(60_000)
        escaped = json.dumps({"m": "zoë"})[7:-2]  # the JSON text of "zoë": zo\\u00eb
        lines[30_000] = _line(30_000, "placeholder").replace("placeholder", escaped)
        _write(tmp_path, lines)

        assert _messages(tmp_path, "ZOË") == ["zoë"]

    def test_no_hit_reads_the_whole_file(self, tmp_path: Path) -> None:
        """A needle that is nowhere: nothing found, every byte read (a chunk's partial first
        line is read again with the chunk before it)."""
        path = _write(tmp_path, _filler_lines(100_000))
        result = query_logs(tmp_path, LogQuery(search="kubernetes"), 100, app_name=APP)

        assert result.entries == []
        size = path.stat().st_size
        assert size <= result.scanned_bytes < size * 1.001

    @pytest.mark.parametrize("hit", [True, False])
    def test_a_line_longer_than_the_buffer_is_read_whole(self, tmp_path: Path, hit: bool) -> None:
        """A line of more than one buffer is read as one piece, hit or not, and the lines
        around it are searched as usual."""
        long_message = "x" * (SIEVE_CHUNK + 1000) + (" zebrafish" if hit else "")
        lines = [_line(0, "zebrafish before"), _line(1, long_message), _line(2, "zebrafish after")]
        _write(tmp_path, lines)

        expected = ["zebrafish before", *([long_message] if hit else []), "zebrafish after"]
        assert _messages(tmp_path, "zebrafish") == expected

    def test_the_same_chunks_as_the_plain_reader_where_a_hit_may_be(self, tmp_path: Path) -> None:
        """Every chunk it yields holds exactly the bytes the plain reader has there."""
        path = _write(tmp_path, _filler_lines(150_000))
        data = path.read_bytes()
        fd = os.open(path, os.O_RDONLY)
        try:
            pread = fd_reader(fd)
            sieved = list(sieved_backward(fd, pread, len(data), ScanStats(), lambda *_: True))
            plain = list(chunks_backward(pread, len(data), ScanStats()))
        finally:
            os.close(fd)

        for chunk in sieved:
            assert (
                chunk.buf[chunk.lo : chunk.hi]
                == data[chunk.base + chunk.lo : chunk.base + chunk.hi]
            )
            assert chunk.buf[chunk.hi - 1 : chunk.hi] == b"\n"
        covered = b"".join(c.buf[c.lo : c.hi] for c in reversed(sieved))
        assert covered == data == b"".join(c.buf[c.lo : c.hi] for c in reversed(plain))
