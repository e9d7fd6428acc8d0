"""``python -m astromon`` runs the command-line interface."""

from astromon.cli.app import main

main()
