"""Print what this interpreter is, and the Runicorn it can import, as one JSON line.

``executable`` and ``prefix`` are what the interpreter reports for itself; their ``real_``
forms have every link resolved. Two paths that reach the same environment (``python`` and
``python3``, pyenv shims, a conda env also on PATH) report the same real pair, which is how
the environment list tells them apart from two environments.
"""

from __future__ import annotations

import json
import os
import sys


def runicorn_version() -> tuple[str | None, str | None]:
    """The importable Runicorn's version, and the error when there is none."""
    try:
        import runicorn

        version = getattr(runicorn, "__version__", None)
        if not version:
            from importlib import metadata

            version = metadata.version("runicorn")
        return version, None
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"


def main() -> None:
    version, error = runicorn_version()
    info = {
        "python_version": ".".join(str(part) for part in sys.version_info[:3]),
        "executable": sys.executable,
        "prefix": sys.prefix,
        "real_executable": os.path.realpath(sys.executable) if sys.executable else None,
        "real_prefix": os.path.realpath(sys.prefix),
        "runicorn_version": version,
        "error": error,
    }
    print(json.dumps(info))


if __name__ == "__main__":
    main()
