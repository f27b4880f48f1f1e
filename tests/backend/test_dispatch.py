"""The dispatcher: validation, the error envelope, request ids and its own log records."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from backend._app import HTTP_STATUS, AppContext, CommandError
from backend._dispatch import dispatch, respond
from backend.commands import REGISTRY
from shared.writer.setup import get_logger


def own_records(viewer_dir: Path) -> list[dict[str, Any]]:
    """The viewer's own records."""
    path = viewer_dir / "msc-logs-viewer.log"
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def handled(viewer_dir: Path) -> list[dict[str, Any]]:
    """The dispatcher's per-call records."""
    return [r for r in own_records(viewer_dir) if r["message"] == "command handled"]


OUT = "/tmp/msc-never-written.jsonl"

BAD_ARGUMENTS = [
    ("get_recent_logs", {"limit": 0}, "limit: must be between 1 and 10000"),
    ("get_recent_logs", {"limit": -5}, "limit: must be between 1 and 10000"),
    ("get_recent_logs", {"limit": 10_001}, "limit: must be between 1 and 10000"),
    ("get_recent_logs", {"limit": 10**30}, "limit: must be between 1 and 10000"),
    ("get_recent_logs", {"limit": 1.5}, "limit: must be an integer"),
    ("get_recent_logs", {"limit": "10"}, "limit: must be an integer"),
    ("get_recent_logs", {"limit": True}, "limit: must be an integer"),
    ("get_recent_logs", {"limit": [1]}, "limit: must be an integer"),
    ("get_recent_logs", {"level": "verbose"}, "level: must be one of 'trace', 'debug'"),
    ("get_recent_logs", {"min_level": "loud"}, "min_level: must be one of 'trace'"),
    ("get_recent_logs", {"category": "audio"}, "category: must be one of 'database', 'midi'"),
    ("get_recent_logs", {"since": "yesterday"}, "since: must be an RFC 3339 date-time"),
    ("get_recent_logs", {"until": "2026-13-01T00:00:00Z"}, "until: must be an RFC 3339"),
    ("get_recent_logs", {"since": 1700000000}, "since: must be an RFC 3339 date-time"),
    ("get_recent_logs", {"search": 5}, "search: must be a string"),
    ("get_recent_logs", {"regex": "yes"}, "regex: must be true or false"),
    ("get_recent_logs", {"search": "(", "regex": True}, "search: invalid regular expression"),
    ("get_recent_logs", {"before": "not a cursor"}, "before:"),
    ("get_recent_logs", {"before": 12}, "before: must be a string"),
    ("get_recent_logs", {"colour": "red"}, "unknown argument(s) colour; expected: limit"),
    ("export_logs", {}, "output_path: required"),
    ("export_logs", {"output_path": "/tmp/a\x00b"}, "output_path: must not contain a null byte"),
    ("export_logs", {"output_path": 5}, "output_path:"),
    ("export_logs", {"output_path": OUT, "format": "xml"}, "format: must be one of 'jsonl'"),
    ("export_logs", {"output_path": OUT, "overwrite": "true"}, "overwrite: must be true or"),
    ("export_logs", {"output_path": OUT, "limit": 5}, "unknown argument(s) limit"),
    ("export_logs", {"output_path": OUT, "before": "x"}, "unknown argument(s) before"),
    ("clear_logs", {"force": True}, "unknown argument(s) force; expected: none"),
    ("get_log_info", {"a": 1, "b": 2}, "unknown argument(s) a, b"),
    ("subscribe_to_logs", {"x": None}, "unknown argument(s) x"),
    ("get_performance_metrics", {"pid": 1}, "unknown argument(s) pid"),
]


class TestArgumentValidation:
    @pytest.mark.parametrize(("command", "args", "expected"), BAD_ARGUMENTS)
    def test_bad_arguments_are_invalid_args_naming_the_argument(
        self, app: AppContext, command: str, args: dict[str, Any], expected: str
    ) -> None:
        """Each bad argument yields invalid_args whose message names it and says what is wrong."""
        with pytest.raises(CommandError) as caught:
            dispatch(app, command, args)
        assert caught.value.code == "invalid_args"
        assert expected in caught.value.message
        assert "Traceback" not in caught.value.message
        assert "pydantic" not in caught.value.message
        assert not Path(OUT).exists()

    def test_several_bad_arguments_are_all_named(self, app: AppContext) -> None:
        """Every bad argument of one call is reported, not only the first."""
        with pytest.raises(CommandError) as caught:
            dispatch(app, "get_recent_logs", {"limit": 0, "level": "x", "zzz": 1})
        message = caught.value.message
        assert "limit:" in message
        assert "level:" in message
        assert "zzz" in message

    def test_camel_case_keys_are_accepted(self, app: AppContext, tmp_path: Path) -> None:
        """camelCase keys (as Tauri's JS side sends them) reach the snake_case parameters."""
        target = tmp_path / "out.jsonl"
        result = dispatch(app, "export_logs", {"outputPath": str(target), "minLevel": "info"})
        assert result["path"] == str(target)

    def test_the_same_argument_twice_is_refused(self, app: AppContext) -> None:
        """Giving an argument both as snake_case and camelCase is ambiguous."""
        with pytest.raises(CommandError, match="min_level: given twice") as caught:
            dispatch(app, "get_recent_logs", {"min_level": "info", "minLevel": "warn"})
        assert caught.value.code == "invalid_args"

    def test_null_means_the_default(
        self, app: AppContext, active: Path, write: Any, rec: Any
    ) -> None:
        """null for an optional argument is the same as leaving it out (Tauri's Option)."""
        write(active, [rec("m")])
        assert len(dispatch(app, "get_recent_logs", {"limit": None, "regex": None})) == 1

    def test_missing_arguments_mean_none(self, app: AppContext) -> None:
        """None as the argument object is the same as an empty one."""
        assert dispatch(app, "get_recent_logs", None) == []

    @pytest.mark.parametrize("args", [[1, 2], "limit=5", 7])
    def test_arguments_must_be_an_object(self, app: AppContext, args: Any) -> None:
        """Arguments that are not a mapping are refused as invalid_args."""
        with pytest.raises(CommandError, match="arguments must be an object"):
            dispatch(app, "get_recent_logs", args)

    def test_python_callers_may_pass_typed_values(self, app: AppContext, tmp_path: Path) -> None:
        """A Path and a datetime are accepted as such from Python."""
        target = tmp_path / "typed.csv"
        args = {"output_path": target, "format": "csv", "since": datetime(2026, 1, 1, tzinfo=UTC)}
        assert dispatch(app, "export_logs", args)["count"] == 0


class TestErrors:
    def test_unknown_command_is_not_found(self, app: AppContext) -> None:
        """A name missing from the registry is not_found, naming it."""
        with pytest.raises(CommandError, match="unknown command 'drop_tables'") as caught:
            dispatch(app, "drop_tables", {})
        assert caught.value.code == "not_found"

    def test_unexpected_exception_is_internal_and_only_the_log_has_the_details(
        self, app: AppContext, viewer_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An unexpected exception surfaces as a generic internal error; its traceback is logged."""

        def broken(app: AppContext) -> None:
            raise RuntimeError("secret detail 1234")

        monkeypatch.setitem(REGISTRY, "get_log_info", broken)
        with pytest.raises(CommandError) as caught:
            dispatch(app, "get_log_info", {})
        assert caught.value.code == "internal"
        assert "secret" not in caught.value.message
        assert "Traceback" not in caught.value.message
        logged = (viewer_dir / "msc-logs-viewer.log").read_text()
        assert "secret detail 1234" in logged
        assert "broken" in logged  # the traceback names the failing function

    def test_permission_error_is_permission_denied(
        self, app: AppContext, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An OS refusal becomes permission_denied naming the path."""

        def refused(app: AppContext) -> None:
            raise PermissionError(13, "Permission denied", "/var/log/x")

        monkeypatch.setitem(REGISTRY, "clear_logs", refused)
        with pytest.raises(CommandError) as caught:
            dispatch(app, "clear_logs", {})
        assert caught.value.to_dict() == {
            "code": "permission_denied",
            "message": "Permission denied: /var/log/x",
        }

    def test_malformed_cursor_is_invalid_args(self, app: AppContext) -> None:
        """A before that is no entry id is invalid_args naming before."""
        with pytest.raises(CommandError) as caught:
            dispatch(app, "get_recent_logs", {"before": "zz-zz"})
        assert caught.value.code == "invalid_args"
        assert caught.value.message.startswith("before:")

    def test_cursor_of_a_deleted_file_is_not_found(
        self, app: AppContext, log_dir: Path, active: Path, write: Any, rec: Any
    ) -> None:
        """A cursor into a rotated file that was deleted since is not_found naming before."""
        rotated = log_dir / "midi-software-center.log.1"
        write(rotated, [rec("old 1"), rec("old 2")])
        write(active, [rec("new")])
        cursor = dispatch(app, "get_recent_logs", {"limit": 3})[1]["id"]
        rotated.unlink()
        with pytest.raises(CommandError) as caught:
            dispatch(app, "get_recent_logs", {"before": cursor})
        assert caught.value.code == "not_found"
        assert caught.value.message.startswith("before:")

    def test_respond_pairs_each_error_with_its_http_status(self, app: AppContext) -> None:
        """respond() gives the transport (status, body): 200 and the result, or the envelope."""
        assert respond(app, "get_recent_logs", {}) == (200, [])
        status, body = respond(app, "nope", {})
        assert (status, body["code"]) == (404, "not_found")
        assert set(body) == {"code", "message"}


class TestErrorEnvelope:
    def test_statuses_are_the_protocol_ones(self) -> None:
        """Every error code maps to the HTTP status docs/PROTOCOL.md gives it."""
        assert HTTP_STATUS == {
            "invalid_args": 400,
            "not_found": 404,
            "already_exists": 409,
            "permission_denied": 403,
            "cancelled": 409,
            "internal": 500,
        }

    def test_to_dict_is_code_and_message_only(self) -> None:
        """The wire shape has exactly code and message."""
        error = CommandError("already_exists", "output_path: x exists")
        assert error.to_dict() == {"code": "already_exists", "message": "output_path: x exists"}
        assert error.status == 409


class TestCallRecords:
    def test_each_call_logs_one_debug_record_with_outcome_and_duration(
        self, app: AppContext, viewer_dir: Path
    ) -> None:
        """A call writes one debug record naming the command, its outcome and duration."""
        dispatch(app, "get_log_info", {})
        with pytest.raises(CommandError):
            dispatch(app, "get_recent_logs", {"limit": 0})
        first, second = handled(viewer_dir)
        assert first["level"] == "debug"
        assert (first["fields"]["command"], first["fields"]["outcome"]) == ("get_log_info", "ok")
        assert second["fields"]["outcome"] == "invalid_args"
        assert first["fields"]["duration_ms"] >= 0

    def test_each_call_gets_a_fresh_request_id(self, app: AppContext, viewer_dir: Path) -> None:
        """Two calls carry two different request ids."""
        dispatch(app, "get_log_info", {})
        dispatch(app, "get_log_info", {})
        ids = [r["fields"]["request_id"] for r in handled(viewer_dir)]
        assert len(set(ids)) == 2
        assert all(i.startswith("req-") for i in ids)

    def test_records_logged_by_the_command_carry_its_request_id(
        self, app: AppContext, viewer_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """What the command logs is tied to the call by the same request id."""

        def chatty(app: AppContext) -> None:
            get_logger("tests.chatty").info("inside", category="system")

        monkeypatch.setitem(REGISTRY, "get_log_info", chatty)
        dispatch(app, "get_log_info", {})
        inside = next(r for r in own_records(viewer_dir) if r["message"] == "inside")
        (call,) = handled(viewer_dir)
        assert inside["fields"]["request_id"] == call["fields"]["request_id"]

    def test_quiet_calls_write_nothing(self, app: AppContext, viewer_dir: Path) -> None:
        """Calls made by the event push path leave no record, so a stream never feeds itself."""
        before = len(own_records(viewer_dir))
        dispatch(app, "get_log_info", {}, quiet=True)
        dispatch(app, "get_recent_logs", {}, quiet=True)
        assert len(own_records(viewer_dir)) == before

    def test_quiet_internal_errors_go_to_stderr_not_the_log(
        self,
        app: AppContext,
        viewer_dir: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """A quiet call's unexpected failure is reported on stderr only."""

        def broken(app: AppContext) -> float:
            return 1 / 0

        monkeypatch.setitem(REGISTRY, "get_log_info", broken)
        before = len(own_records(viewer_dir))
        with pytest.raises(CommandError, match="internal error"):
            dispatch(app, "get_log_info", {}, quiet=True)
        assert len(own_records(viewer_dir)) == before
        assert "ZeroDivisionError" in capsys.readouterr().err
