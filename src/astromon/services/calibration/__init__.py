"""Calibration: offsets per time bin, offset-step files, CALALIGN files."""
