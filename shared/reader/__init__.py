"""The reader side of the library: any log directory, any ecosystem, one timeline.

Internal: the public door is `shared` (``from shared import query_logs, LogFollower``).

- `records`: the record's vocabulary (levels, categories, canonical timestamps).
- `formats`: one small module per logging ecosystem, each mapping a parsed JSON object onto the
  record; `formats.text` does the same for plain-text lines.
- `parse`: one line → one record (our own layout on a fast path, everything else by format).
- `sources`: a directory → its sources (a base name and its rotations), opened as snapshots.
- `scan`, `search`, `match`: chunked reading and byte-level prefilters.
- `engine`, `merge`: the last N entries and the whole timeline, merged across sources.
- `follow`: new entries of every source as they are written.

Kept free of pydantic except in `query`, `files` and `follow`, so the command line starts fast.
"""
