"""MSC_LOG directives and per-destination, per-target thresholds."""

from __future__ import annotations

import pytest

from shared._events import LEVEL_RANK
from shared.writer.config import LoggingError
from shared.writer.filter import OFF, Directives, TargetLevels, parse_directives

INFO, DEBUG, WARN = LEVEL_RANK["info"], LEVEL_RANK["debug"], LEVEL_RANK["warn"]


class TestParseDirectives:
    def test_bare_level_sets_the_default(self) -> None:
        """A directive without ``=`` is the default level."""
        assert parse_directives("debug") == Directives(default=DEBUG)

    def test_target_level_sets_an_override(self) -> None:
        """``target=level`` overrides that target."""
        assert parse_directives("backend.commands=warn").match("backend.commands") == WARN

    def test_override_covers_child_targets(self) -> None:
        """An override applies to targets below it in the dotted hierarchy."""
        assert parse_directives("backend=debug").match("backend.commands.export") == DEBUG

    def test_override_does_not_cover_a_mere_string_prefix(self) -> None:
        """``shared`` does not match ``shared_tools``: matching respects dots."""
        assert parse_directives("shared=debug").match("shared_tools") is None

    def test_longest_prefix_wins(self) -> None:
        """The most specific directive wins regardless of order."""
        directives = parse_directives("backend.commands=debug,backend=warn")
        assert directives.match("backend.commands.x") == DEBUG
        assert directives.match("backend.bridge") == WARN

    def test_parses_the_documented_example(self) -> None:
        """``info,backend.commands=debug,shared=warn`` gives a default and two overrides."""
        directives = parse_directives("info,backend.commands=debug,shared=warn")
        assert directives.default == INFO
        assert dict(directives.overrides) == {"backend.commands": DEBUG, "shared": WARN}

    def test_ignores_blanks_and_empty_items(self) -> None:
        """Spaces around items and empty items (``a,,b,``) are ignored."""
        assert parse_directives(" warn , ,midi = debug ,") == Directives(WARN, (("midi", DEBUG),))

    def test_accepts_off_and_level_aliases(self) -> None:
        """``off`` silences; ``WARNING`` is warn."""
        directives = parse_directives("WARNING,noisy=off")
        assert (directives.default, directives.match("noisy")) == (WARN, OFF)

    @pytest.mark.parametrize("bad", ["verbose", "midi=loud", "=debug", "a=b=c", "my target=info"])
    def test_rejects_bad_directive_naming_it(self, bad: str) -> None:
        """A malformed directive raises LoggingError quoting that directive."""
        with pytest.raises(LoggingError, match=f"MSC_LOG: bad directive '{bad}'"):
            parse_directives(f"info,{bad}")


class TestTargetLevels:
    def test_destinations_have_their_own_levels(self) -> None:
        """Without directives the console and file use their configured levels."""
        assert TargetLevels("warn", "debug").thresholds("any") == (WARN, DEBUG)

    def test_default_directive_overrides_both_destinations(self) -> None:
        """A bare level in MSC_LOG replaces both configured levels."""
        levels = TargetLevels("warn", "debug", parse_directives("info"))
        assert levels.thresholds("any") == (INFO, INFO)

    def test_target_directive_overrides_both_only_for_that_target(self) -> None:
        """A target directive applies to both destinations for that target only."""
        levels = TargetLevels("warn", "info", parse_directives("midi=debug"))
        assert levels.thresholds("midi.io") == (DEBUG, DEBUG)
        assert levels.thresholds("other") == (WARN, INFO)

    def test_floor_is_the_least_of_both(self) -> None:
        """floor() is the lowest level either destination accepts."""
        assert TargetLevels("error", "debug").floor("x") == DEBUG

    def test_lowest_includes_overrides(self) -> None:
        """lowest() considers every override (for the stdlib root level)."""
        levels = TargetLevels("info", "info", parse_directives("deep=trace"))
        assert levels.lowest() == LEVEL_RANK["trace"]

    def test_off_silences_a_destination(self) -> None:
        """``off`` is a threshold no level reaches."""
        assert TargetLevels("warn", "off").thresholds("x") == (WARN, OFF)
