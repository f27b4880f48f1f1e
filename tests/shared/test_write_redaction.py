"""Write-time redaction: with ``LogConfig(redact=…)`` no secret reaches the file or the console."""

from __future__ import annotations

import logging
from pathlib import Path

import orjson
import pytest
from pydantic import ValidationError

from shared.redact import REDACTED, RedactionRules
from shared.writer.config import LogConfig
from shared.writer.context import LogContext, span
from shared.writer.setup import get_logger, init_logging

SECRETS = ("hunter2", "abc.def.ghi", "ann@example.com", "pa55word", "k-123456")


def start(log_dir: Path, **options: object) -> Path:
    """init_logging with every level on both destinations; return the log file."""
    config = LogConfig(log_dir=log_dir, console_level="trace", file_level="trace", **options)  # type: ignore[arg-type]
    init_logging(config, env_filter="")
    assert config.log_file is not None
    return config.log_file


def log_secrets() -> None:
    """Log each secret the ways a program does: a field, the message, an e-mail address."""
    get_logger("app.auth").info(
        "login with Authorization: Bearer abc.def.ghi for ann@example.com", password="hunter2"
    )


def assert_nowhere(data: str) -> None:
    """None of the secrets is in ``data``."""
    assert [secret for secret in SECRETS if secret in data] == []


def file_fields(log_file: Path) -> list[dict[str, object]]:
    """The fields of every record in the file."""
    return [orjson.loads(line)["fields"] for line in log_file.read_bytes().splitlines()]


class TestWriteTimeRedaction:
    def test_secrets_reach_neither_file_nor_console(
        self, log_dir: Path, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """A password field, a bearer token and an e-mail address are masked in both places."""
        log_file = start(log_dir, redact=True)
        log_secrets()
        err = capfd.readouterr().err
        data = log_file.read_text()
        assert_nowhere(data)
        assert_nowhere(err)
        record = orjson.loads(data.splitlines()[-1])
        assert record["message"] == f"login with Authorization: Bearer {REDACTED} for {REDACTED}"
        assert record["fields"] == {"password": REDACTED}
        assert f"password={REDACTED}" in err

    def test_context_metadata_is_redacted_and_session_id_kept(self, log_dir: Path) -> None:
        """Fields bound by a context are redacted by key; ``session_id`` is kept as it is."""
        log_file = start(log_dir, redact=True)
        context = LogContext(session_id="s-1").with_metadata("api_key", "k-123456")
        with context:
            get_logger("app").info("call")
        assert file_fields(log_file)[-1] == {"api_key": REDACTED, "session_id": "s-1"}

    def test_exception_text_is_masked(
        self, log_dir: Path, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """A traceback quoting a URL with a password has the password masked."""
        log_file = start(log_dir, redact=True)
        try:
            raise ConnectionError("cannot reach https://ann:pa55word@db.local/midi")
        except ConnectionError:
            get_logger("app.db").exception("connect failed")
        assert_nowhere(log_file.read_text())
        assert_nowhere(capfd.readouterr().err)
        exception = file_fields(log_file)[-1]["exception"]
        assert isinstance(exception, str)
        assert f"https://ann:{REDACTED}@db.local/midi" in exception

    def test_span_names_are_masked(self, log_dir: Path) -> None:
        """A span named after an e-mail address is written masked, on records and its close."""
        log_file = start(log_dir, redact=True)
        with span("mail ann@example.com"):
            get_logger("app").info("sending")
        assert_nowhere(log_file.read_text())
        spans = [orjson.loads(line)["span"] for line in log_file.read_bytes().splitlines()]
        assert {"name": f"mail {REDACTED}"}.items() <= spans[-1].items()

    def test_stdlib_records_are_redacted(
        self, log_dir: Path, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """Records from the standard library's logging pass the same redaction."""
        log_file = start(log_dir, redact=True)
        logging.getLogger("thirdparty").warning(
            "token=%s", "k-123456", extra={"password": "hunter2"}
        )
        assert_nowhere(log_file.read_text())
        assert_nowhere(capfd.readouterr().err)
        assert file_fields(log_file)[-1] == {"password": REDACTED}

    def test_text_format_file_is_redacted(self, log_dir: Path) -> None:
        """With ``json_format=False`` the readable file lines are redacted too."""
        log_file = start(log_dir, redact=True, json_format=False)
        log_secrets()
        data = log_file.read_text()
        assert_nowhere(data)
        assert f"password={REDACTED}" in data

    def test_configured_rules_are_applied(self, log_dir: Path) -> None:
        """``redact=RedactionRules(...)`` uses those rules: its keys, its patterns."""
        rules = RedactionRules(keys=["pin"], patterns={"serial": r"MSC-[0-9]{4}"})
        log_file = start(log_dir, redact=rules)
        get_logger("app").info("device MSC-1234", pin="0000", password="visible")
        record = orjson.loads(log_file.read_bytes().splitlines()[-1])
        assert record["message"] == f"device {REDACTED}"
        assert record["fields"] == {"pin": REDACTED, "password": "visible"}

    def test_off_by_default_writes_values_as_they_are(self, log_dir: Path) -> None:
        """Without ``redact`` nothing is masked: the default is off."""
        log_file = start(log_dir)
        log_secrets()
        assert "hunter2" in log_file.read_text()
        assert "ann@example.com" in log_file.read_text()

    def test_bad_pattern_is_refused_by_the_config(self, log_dir: Path) -> None:
        """A pattern RE2 cannot compile makes ``LogConfig`` fail, naming the rule."""
        with pytest.raises(ValidationError, match="pattern 'pin'"):
            LogConfig(log_dir=log_dir, redact={"patterns": {"pin": "(?<=pin=)[0-9]+"}})  # type: ignore[arg-type]
