"""LogConfig: the seed's nine fields, their defaults and their validation."""

from __future__ import annotations

import logging
from pathlib import Path

import platformdirs
import pytest
from pydantic import ValidationError

from shared.writer.config import LogConfig, LoggingError, normalize_level


class TestLogConfig:
    def test_defaults_match_the_seed(self) -> None:
        """The defaults are the seed's values, with a per-user log directory."""
        config = LogConfig()
        assert config.app_name == "midi-software-center"
        assert (config.console_level, config.file_level) == ("info", "debug")
        assert config.include_location is True
        assert config.json_format is True
        assert config.max_file_size_mb == 10
        assert config.max_files == 5
        assert config.enable_span_timing is True

    def test_default_log_dir_is_the_user_data_dir(self) -> None:
        """log_dir defaults to platformdirs' user data dir for the app, then ``logs``."""
        expected = Path(platformdirs.user_data_dir("midi-software-center", appauthor=False))
        assert LogConfig().log_dir == expected / "logs"

    @pytest.mark.parametrize(
        ("given", "expected"),
        [("WARNING", "warn"), ("Warn", "warn"), ("critical", "error"), ("TRACE", "trace")],
    )
    def test_accepts_level_names_case_insensitively(self, given: str, expected: str) -> None:
        """Level names are matched ignoring case and stdlib names map to ours."""
        assert LogConfig(console_level=given).console_level == expected  # type: ignore[arg-type]

    def test_accepts_stdlib_level_numbers(self) -> None:
        """A stdlib level number is accepted as the matching level."""
        assert LogConfig(file_level=logging.WARNING).file_level == "warn"  # type: ignore[arg-type]

    def test_rejects_unknown_level_naming_the_field(self) -> None:
        """An unknown level name is an error that names the field and the value."""
        with pytest.raises(ValidationError, match=r"file_level[\s\S]*loud"):
            LogConfig(file_level="loud")  # type: ignore[arg-type]

    @pytest.mark.parametrize("size", [0, -1, float("inf")])
    def test_rejects_non_positive_or_infinite_size(self, size: float) -> None:
        """max_file_size_mb must be a finite positive number."""
        with pytest.raises(ValidationError, match="max_file_size_mb"):
            LogConfig(max_file_size_mb=size)

    def test_accepts_fractional_size_in_bytes(self) -> None:
        """A fractional size is allowed and converted to bytes for rotation."""
        assert LogConfig(max_file_size_mb=0.01).max_file_bytes == 10485

    def test_rejects_zero_max_files(self) -> None:
        """At least one rotated file is kept."""
        with pytest.raises(ValidationError, match="max_files"):
            LogConfig(max_files=0)

    @pytest.mark.parametrize("name", ["a/b", "../x", "a\\b", "", ".."])
    def test_rejects_app_name_that_is_not_a_file_name(self, name: str) -> None:
        """app_name becomes a file name, so separators and empty names are refused."""
        with pytest.raises(ValidationError, match="app_name"):
            LogConfig(app_name=name)

    def test_rejects_unknown_fields(self) -> None:
        """A misspelt option is an error rather than silently ignored."""
        with pytest.raises(ValidationError, match="max_file_size"):
            LogConfig(max_file_size=3)  # type: ignore[call-arg]

    def test_expands_home_in_log_dir(self) -> None:
        """A log_dir starting with ``~`` is expanded to the home directory."""
        assert LogConfig(log_dir="~/x").log_dir == Path.home() / "x"  # type: ignore[arg-type]

    def test_log_file_is_app_name_dot_log_in_log_dir(self, tmp_path: Path) -> None:
        """The active file is ``<log_dir>/<app_name>.log``."""
        config = LogConfig(log_dir=tmp_path, app_name="daw")
        assert config.log_file == tmp_path / "daw.log"

    def test_is_frozen(self) -> None:
        """A config is a value: it cannot be changed after creation."""
        config = LogConfig()
        with pytest.raises(ValidationError):
            config.max_files = 9


class TestNormalizeLevel:
    @pytest.mark.parametrize(
        ("number", "expected"),
        [(5, "trace"), (10, "debug"), (20, "info"), (30, "warn"), (40, "error"), (50, "error")],
    )
    def test_maps_stdlib_numbers(self, number: int, expected: str) -> None:
        """Stdlib level numbers map onto our five levels."""
        assert normalize_level(number) == expected

    def test_rejects_unknown_names(self) -> None:
        """An unknown name raises ValueError listing the valid ones."""
        with pytest.raises(ValueError, match="trace, debug, info, warn, error"):
            normalize_level("verbose")


class TestLoggingError:
    def test_is_an_exception(self) -> None:
        """LoggingError can be caught as an ordinary Exception."""
        assert issubclass(LoggingError, Exception)
