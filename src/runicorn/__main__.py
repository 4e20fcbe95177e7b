"""``python -m runicorn ...``: the same as the ``runicorn`` command."""

from runicorn.cli import main

main()
