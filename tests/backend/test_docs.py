"""The reference pages stay true: every command and error code is documented."""

from __future__ import annotations

import re
from pathlib import Path

from backend._app import HTTP_STATUS
from backend.commands import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = (ROOT / "docs" / "PROTOCOL.md").read_text(encoding="utf-8")


def _table_names(text: str) -> set[str]:
    return set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.MULTILINE))


class TestProtocolPage:
    def test_every_registered_command_is_documented(self) -> None:
        """A command added to REGISTRY without a row in PROTOCOL.md fails here."""
        assert set(REGISTRY) - _table_names(PROTOCOL) == set()

    def test_every_documented_command_is_registered(self) -> None:
        """A documented command that no longer exists fails here."""
        documented = _table_names(PROTOCOL.split("## Commands", 1)[1].split("## Events", 1)[0])
        commands = documented - set(HTTP_STATUS) - {"unreachable"}
        assert commands - set(REGISTRY) == set()

    def test_every_error_code_is_documented(self) -> None:
        """Each error code the dispatcher can answer has a row in the error table."""
        assert set(HTTP_STATUS) - _table_names(PROTOCOL) == set()
