"""The writer side of the library: configuration, the structlog chain, the sinks, context.

Internal: the public door is `shared` (``from shared import init_logging, get_logger``).

- `config`: `LogConfig` and the defaults; `setup`: `init_logging`, the processor chain.
- `render`, `encode`: a record as one compact JSON line (and its stand-ins for odd values).
- `sink`, `fileops`: the multi-process file sink and its rotation; `console`: the console.
- `context`, `logger`, `macros`, `location`, `filter`, `stdlib`: context ids and spans, the
  bound logger, the category helpers, the caller's place, level directives, the stdlib bridge.
- `diag`: the one place the machinery reports its own trouble (stderr).
"""
