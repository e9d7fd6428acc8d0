"""The pure core of astromon: schemas, time, geometry, matching, filters and region rules.

Nothing here performs I/O; everything is numpy/astropy functions and small typed values.
"""
