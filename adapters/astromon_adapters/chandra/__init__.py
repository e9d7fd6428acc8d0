"""Adapters for Chandra data: event files, FITS files of an observation, source detectors."""
