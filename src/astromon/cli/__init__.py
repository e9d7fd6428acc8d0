"""The ``astromon`` command-line interface (Typer)."""
