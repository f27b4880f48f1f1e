"""Log text made safe to print: control characters escaped, huge texts cut.

One rule for every place that prints log content as text — the console, ``msc-logs query`` and
``tail``, the txt export — so that no record can clear the screen, move the cursor, set the
window title, write the clipboard (OSC 52), ring the bell, overwrite a line with a carriage
return or reorder it with bidirectional controls, wherever it is shown. Free of pydantic: the
command line imports it and must start fast.
"""

from __future__ import annotations

import re

__all__ = ["PRINT_LIMIT", "escape", "escape_json"]

#: What is escaped: C0 controls, DEL, C1 controls (``\x9b`` is CSI to many terminals), and the
#: format characters that reorder or break a line (bidi marks, embeddings, overrides, isolates;
#: line and paragraph separators).
_BEYOND_C0 = r"\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
_UNSAFE = re.compile(rf"[\x00-\x1f{_BEYOND_C0}]")
_UNSAFE_IN_JSON = re.compile(rf"[{_BEYOND_C0}]")  # orjson escapes C0 itself
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
#: Characters of one text (a message, a value …) printed to a terminal; the rest is counted.
PRINT_LIMIT = 64 * 1024


def escape(text: str, *, keep: str = "", limit: int | None = None) -> str:
    """``text`` with every unsafe character written as an escape, cut at ``limit`` characters.

    Newline, tab and CR become ``\\n``, ``\\t``, ``\\r``; other characters ``\\x1b`` or
    ``\\u202e``. A cut text ends with a marker saying how much was left out, in UTF-8 bytes:
    ``… [9.5 MiB more]``.

    Args:
        text: Log text.
        keep: Characters left as they are (a traceback keeps ``"\\n\\t"``).
        limit: Characters kept at most; None: all.

    Returns:
        Text a terminal shows as it is.
    """
    if limit is not None and len(text) > limit:
        rest = len(text[limit:].encode("utf-8", "surrogatepass"))
        text = f"{text[:limit]}… [{_size(rest)} more]"
    if text.isprintable():  # the usual case: one fast scan
        return text
    return _UNSAFE.sub(lambda match: _escaped(match.group(), keep), text)


def escape_json(text: str) -> str:
    """JSON text (orjson's) with the unsafe characters it leaves raw written as ``\\uXXXX``.

    orjson escapes C0 controls already (a newline after the JSON is left alone); DEL, C1 and the
    bidi and line-separator characters it writes as they are. Escaped, the JSON holds the same
    values and is safe to print.
    """
    if text.isascii() and "\x7f" not in text:
        return text
    return _UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _escaped(char: str, keep: str) -> str:
    if char in keep:
        return char
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    amount = count / 1024
    for unit in ("KiB", "MiB"):
        if amount < 1024:
            return f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} GiB"
