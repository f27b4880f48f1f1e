"""The dispatcher: one door from a transport to the commands (Tauri's invoke handler).

`dispatch` looks the command up in `backend.commands.REGISTRY`, validates the arguments against
a pydantic model built once per command from its signature, binds a fresh request id into the
logging context, calls the command and maps every failure onto one error shape
``{code, message}`` (docs/PROTOCOL.md). Tracebacks go to the log, never to the caller.

Arguments are validated strictly, as JSON: ``"5"`` is no integer and ``1`` no boolean, as with
Tauri's serde. Two Tauri habits are kept: camelCase keys are accepted (``outputPath``), and
``null`` for an optional argument means "not given". A third: a parameter annotated `Caller` is
no argument but injected, as Tauri injects a ``Window``: the transport says which client called.
"""

from __future__ import annotations

import inspect
import json
import re
import time
import typing
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path, PurePath
from types import UnionType
from typing import Annotated, Any

import structlog
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, create_model

from backend._app import AppContext, Caller, CommandError
from backend.commands import REGISTRY
from shared.reader.query import CursorNotFound, InvalidCursor, QueryCancelled
from shared.writer.diag import complain
from shared.writer.setup import get_logger

__all__ = ["MODELS", "dispatch", "respond"]

_log = get_logger(__name__)
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
_INTERNAL_MESSAGE = "internal error; the details are in the log"
#: Deepest nesting accepted inside one argument. No argument is a container, so this only stops
#: a payload nested deep enough to exhaust the stack of the JSON encoder (a RecursionError).
MAX_DEPTH = 32


def _no_null_byte(path: Path) -> Path:
    # The OS would refuse it later with an unhelpful ValueError; say which argument is wrong.
    if "\0" in str(path):
        raise ValueError("must not contain a null byte")
    return path


def _guard(annotation: Any) -> Any:
    """Add the null-byte check to ``Path`` and ``Path | None`` annotations."""
    if annotation is Path:
        return Annotated[Path, AfterValidator(_no_null_byte)]
    if isinstance(annotation, UnionType) and Path in typing.get_args(annotation):
        guarded = Annotated[Path, AfterValidator(_no_null_byte)]
        return guarded | None if type(None) in typing.get_args(annotation) else guarded
    return annotation


def arguments_model(name: str, command: Callable[..., Any]) -> type[BaseModel]:
    """Build the arguments model of ``command``: its keyword parameters after the app context.

    Args:
        name: The command's wire name (the model is called ``<name>_args``).
        command: A function ``(app, *, arg: type = default, ...)``.

    Returns:
        A strict pydantic model that forbids unknown keys.
    """
    hints = typing.get_type_hints(command, include_extras=True)
    fields: dict[str, Any] = {}
    for parameter in list(inspect.signature(command).parameters.values())[1:]:
        if hints[parameter.name] is Caller:
            continue
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        fields[parameter.name] = (_guard(hints[parameter.name]), default)
    config = ConfigDict(extra="forbid", strict=True)
    model: type[BaseModel] = create_model(f"{name}_args", __config__=config, **fields)
    return model


def injected(command: Callable[..., Any]) -> tuple[str, ...]:
    """The parameters of ``command`` the dispatcher fills in: those annotated `Caller`."""
    hints = typing.get_type_hints(command)
    return tuple(name for name, hint in hints.items() if hint is Caller)


#: The arguments model of every registered command, built once at import.
MODELS: dict[str, type[BaseModel]] = {
    name: arguments_model(name, f) for name, f in REGISTRY.items()
}
#: The `Caller` parameters of every registered command.
INJECTED: dict[str, tuple[str, ...]] = {name: injected(f) for name, f in REGISTRY.items()}


def dispatch(
    app: AppContext,
    name: str,
    args: Mapping[str, Any] | None = None,
    *,
    quiet: bool = False,
    client: str | None = None,
) -> Any:
    """Run command ``name`` with ``args`` and return its JSON-ready result.

    Args:
        app: The application context handed to the command.
        name: The command's wire name.
        args: Its arguments (snake_case or camelCase keys); None means none.
        quiet: Write nothing to the log (calls made by the event push path, which must never
            feed the stream it pushes). Internal errors then go to stderr.
        client: Who calls (a tab's or the window's id), for the commands that take a `Caller`;
            None: the app as a whole.

    Returns:
        The command's result.

    Raises:
        CommandError: Unknown command (``not_found``), bad arguments (``invalid_args``), or the
            command's own failure; anything unexpected becomes ``internal``.
    """
    caller = Caller(client)
    if quiet:
        return _call(app, name, args, caller, quiet=True)
    started = time.perf_counter()
    outcome = "ok"
    with structlog.contextvars.bound_contextvars(request_id=f"req-{uuid.uuid4().hex}"):
        try:
            return _call(app, name, args, caller, quiet=False)
        except CommandError as exc:
            outcome = exc.code
            raise
        finally:
            duration_ms = (time.perf_counter() - started) * 1000
            _log.debug(
                "command handled",
                category="system",
                command=name[:100],
                duration_ms=round(duration_ms, 3),
                outcome=outcome,
            )


def respond(
    app: AppContext,
    name: str,
    args: Mapping[str, Any] | None = None,
    *,
    quiet: bool = False,
    client: str | None = None,
) -> tuple[int, Any]:
    """`dispatch` for a transport: ``(200, result)`` or ``(status, {code, message})``."""
    try:
        return 200, dispatch(app, name, args, quiet=quiet, client=client)
    except CommandError as exc:
        return exc.status, exc.to_dict()


def _call(
    app: AppContext, name: str, args: Mapping[str, Any] | None, caller: Caller, *, quiet: bool
) -> Any:
    command, model = REGISTRY.get(name), MODELS.get(name)
    if command is None or model is None:
        known = ", ".join(REGISTRY)
        raise CommandError("not_found", f"unknown command {name[:100]!r}; known: {known}")
    kwargs = _validate(model, args)
    kwargs.update(dict.fromkeys(INJECTED[name], caller))
    try:
        return command(app, **kwargs)
    except CommandError:
        raise
    except InvalidCursor as exc:
        raise CommandError("invalid_args", _about("before", exc)) from None
    except CursorNotFound as exc:
        raise CommandError("not_found", _about("before", exc)) from None
    except QueryCancelled:
        raise CommandError("cancelled", "a newer query from this client replaced it") from None
    except PermissionError as exc:
        raise CommandError("permission_denied", _os_message(exc)) from None
    except FileNotFoundError as exc:
        raise CommandError("not_found", _os_message(exc)) from None
    except Exception as exc:  # the one catch-all: log the traceback, tell the caller nothing
        _report(name, exc, quiet=quiet)
        raise CommandError("internal", _INTERNAL_MESSAGE) from None


def _report(name: str, exc: Exception, *, quiet: bool) -> None:
    if quiet:
        complain(f"command {name} failed: {type(exc).__name__}: {exc}")
    else:
        _log.exception("command failed", category="system", command=name)


def _about(argument: str, exc: Exception) -> str:
    message = str(exc)
    return message if message.startswith(f"{argument}:") else f"{argument}: {message}"


def _os_message(exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    return f"{reason}: {exc.filename}" if exc.filename is not None else reason


def _validate(model: type[BaseModel], args: Mapping[str, Any] | None) -> dict[str, Any]:
    if args is None:
        args = {}
    if not isinstance(args, Mapping):
        raise CommandError("invalid_args", "arguments must be an object")
    given = _snake_case_keys(args)
    for key, value in given.items():
        if _too_deep(value):
            raise CommandError("invalid_args", f"{key}: nested more than {MAX_DEPTH} levels deep")
    fields = model.model_fields
    # null for an optional argument means "not given" (Tauri's Option<T>).
    given = {
        key: value
        for key, value in given.items()
        if value is not None or key not in fields or fields[key].is_required()
    }
    try:
        payload = json.dumps(given, default=_jsonable)
    except (TypeError, ValueError):
        raise CommandError("invalid_args", "arguments must be JSON values") from None
    try:
        parsed = model.model_validate_json(payload, strict=True)
    except ValidationError as exc:
        raise CommandError.invalid_args(exc, model) from None
    return {key: getattr(parsed, key) for key in fields}


def _snake_case_keys(args: Mapping[str, Any]) -> dict[str, Any]:
    named: dict[str, Any] = {}
    for key, value in args.items():
        snake = _CAMEL.sub(lambda m: "_" + m.group(1).lower(), key) if isinstance(key, str) else key
        if snake in named:
            raise CommandError("invalid_args", f"{snake}: given twice (as {key} too)")
        named[snake] = value
    return named


def _too_deep(value: Any) -> bool:
    # Level by level rather than recursively: the point is not to need the stack.
    level = [value]
    for _ in range(MAX_DEPTH):
        level = [
            child
            for item in level
            if isinstance(item, Mapping | list | tuple)
            for child in (item.values() if isinstance(item, Mapping) else item)
        ]
        if not level:
            return False
    return True


def _jsonable(value: Any) -> Any:
    # Python callers may pass the typed values directly.
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    raise TypeError(f"not a JSON value: {type(value).__name__}")
