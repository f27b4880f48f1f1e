"""Serilog's Compact Log Event Format (CLEF), as written by Serilog.Formatting.Compact and seqlog.

``@t`` → timestamp; ``@m`` is the rendered message, else ``@mt`` (the template) is rendered here
from the properties as Serilog does: ``{Name}``, ``{Name:format}``, ``{Name,align}``,
``{@Name}``/``{$Name}``, ``{{``/``}}`` for braces; strings are quoted unless the format is ``l``,
booleans are ``True``/``False``, structures are compact JSON, a hole without a property stays as
written. A format cannot be applied here (.NET format strings): the value of the n-th hole with a
format is taken from ``@r[n]`` when Serilog gave it, else written plainly. seqlog's ``@r`` (a list
of positional arguments already formatted into ``@mt``) is therefore harmless.
``@l`` defaults to ``Information``; names are Serilog's (Verbose → trace) or, from seqlog,
Python's. ``@x`` → ``fields["exception"]``; ``@i`` → ``fields["event_id"]``; ``@tr`` →
``fields["trace_id"]`` and ``@sp`` (with ``@ps``) → span. ``SourceContext`` (Serilog) or
``LoggerName`` (seqlog) → target. Other properties go into ``fields``; an escaped ``@@name``
property is stored as ``@name``, other (newer) ``@`` keys as they are.
"""

from __future__ import annotations

import re
from typing import Any

from shared.reader.formats import levels
from shared.reader.formats._common import Record, any_time, as_message, make_record, text

NAME = "clef"
_HOLE = re.compile(r"\{\{|\}\}|\{([@$]?)([A-Za-z0-9_.]+)(?:,(-?\d+))?(?::([^}]*))?\}")


def detect(obj: dict[str, Any]) -> bool:
    """CLEF's ``@t``, ``@mt`` or ``@m``."""
    return "@t" in obj or "@mt" in obj or "@m" in obj


def convert(obj: dict[str, Any]) -> Record:
    """Map a CLEF event."""
    props = {key: value for key, value in obj.items() if not key.startswith("@")}
    label = text(obj.get("@l")) or "Information"
    band, level_name = levels.band_of(label, "serilog")
    message = obj.get("@m")
    if not isinstance(message, str):
        message = render(as_message(obj.get("@mt", "")), props, obj.get("@r"))
    target = text(props.pop("SourceContext", None)) or text(props.pop("LoggerName", None)) or ""
    fields: dict[str, Any] = props
    for key, name in (("@x", "exception"), ("@i", "event_id"), ("@tr", "trace_id")):
        if key in obj:
            fields[name] = obj[key]
    for key, value in obj.items():
        if key.startswith("@") and key not in _KNOWN:  # @@name: an escaped property "@name"
            fields.setdefault(key[1:] if key.startswith("@@") else key, value)
    return make_record(
        timestamp=any_time(obj.get("@t")),
        level=band,
        level_name=level_name,
        message=message,
        target=target,
        fields=fields,
        span=_span(obj.get("@sp"), obj.get("@ps"), target),
    )


_KNOWN = frozenset(("@t", "@m", "@mt", "@l", "@x", "@i", "@r", "@tr", "@sp", "@ps"))


def render(template: str, props: dict[str, Any], renderings: object) -> str:
    """Render a message template with ``props`` (see the module docstring)."""
    rendered = iter(renderings if isinstance(renderings, list) else [])

    def hole(match: re.Match[str]) -> str:
        whole = match.group(0)
        if whole in ("{{", "}}"):
            return whole[0]
        _, name, align, fmt = match.groups()
        if name not in props:
            return whole
        value = next(rendered, None) if fmt is not None else None
        out = value if isinstance(value, str) else _display(props[name], fmt)
        if align:
            width = int(align)
            out = out.rjust(width) if width > 0 else out.ljust(-width)
        return out

    return _HOLE.sub(hole, template)


def _display(value: object, fmt: str | None) -> str:
    if isinstance(value, str):
        return value if fmt == "l" else '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return "null"
    return as_message(value)


def _span(span_id: object, parent: object, name: str) -> dict[str, Any] | None:
    if not isinstance(span_id, str) or not span_id:
        return None
    return {"name": name, "id": span_id, "parent_id": parent if isinstance(parent, str) else None}
