"""``python -m runicorn.manifest``: print a root's manifest (what a remote sync side runs).

Same options as the stdlib script (``--root``, ``--project``, ``--since``, ``--compress``,
``-o``), plus ``--index``: read run folders (relative to ``--root``), one per line, from stdin
and upsert them into the root's index, as a sync does after writing to this host.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if "--index" in argv:
        from runicorn.manifest.indexing import IndexUpdate, index_runs

        roots = [a.split("=", 1)[1] for a in argv if a.startswith("--root=")]
        if not roots:
            print("--index needs --root=PATH", file=sys.stderr)
            return 2
        updates = (IndexUpdate(line.strip()) for line in sys.stdin if line.strip())
        for note in index_runs(Path(roots[0]).expanduser(), updates):
            print(note)
        return 0
    from runicorn.manifest.script import run_main

    return run_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
