"""``python -m astromon`` runs the command-line interface."""

from astromon.cli.entry import main

main()
