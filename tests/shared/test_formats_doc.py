"""docs/FORMATS.md stays true: every format module is listed, the level table is the code's."""

from __future__ import annotations

from pathlib import Path

from shared.reader.formats import FORMATS
from shared.reader.formats.levels import LEVEL_TABLE
from shared.reader.records import LEVELS

DOC = Path(__file__).resolve().parents[2] / "docs" / "FORMATS.md"
BEGIN, END = "<!-- level table: generated from LEVEL_TABLE -->", "<!-- end of level table -->"


def render_level_table() -> str:
    """The level table as docs/FORMATS.md shows it: one row per scheme, one column per band."""
    schemes: dict[str, dict[str, list[str]]] = {}
    for row in LEVEL_TABLE:
        label = row.name if row.number is None else f"{row.name} ({row.number})"
        schemes.setdefault(row.scheme, {}).setdefault(row.band, []).append(label)
    lines = ["| scheme | " + " | ".join(LEVELS) + " |", "|---" * (len(LEVELS) + 1) + "|"]
    for scheme, bands in schemes.items():
        cells = [", ".join(bands.get(band, [])) or "—" for band in LEVELS]
        lines.append(f"| {scheme} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


class TestFormatsDoc:
    def test_level_table_is_the_one_the_reader_uses(self) -> None:
        """The table between the markers equals LEVEL_TABLE rendered (regenerate it if not)."""
        text = DOC.read_text()
        block = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
        assert block == render_level_table()

    def test_every_format_module_is_listed(self) -> None:
        """Each format module's NAME has a row in the formats table."""
        text = DOC.read_text()
        missing = [m.NAME for m in FORMATS if f"| `{m.NAME}` |" not in text]
        assert missing == []
