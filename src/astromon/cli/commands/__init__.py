"""The ``astromon`` commands, one module per command group."""
