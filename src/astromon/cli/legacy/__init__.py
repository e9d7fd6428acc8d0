"""The console scripts of the system astromon replaces, with their original options.

``astromon-process-obs``, ``astromon-cross-match``, ``astromon-web-pages``,
``astromon-calc-rms`` and ``astromon-excluded-region`` parse the options the original
scripts took, print on stderr one line with the equivalent ``astromon`` command, and run it
(the Typer application, or the same services in-process). Options that cannot be honoured
give a one-line error and exit code 2.
"""
