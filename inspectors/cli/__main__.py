"""``python -m inspectors.cli``: the ``corpuscope`` command where the console script is not on PATH."""

from inspectors.cli import main

main(prog_name="corpuscope")
