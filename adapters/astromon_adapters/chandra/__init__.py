"""Adapters for Chandra data and tools: CIAO, parameter files, observation info, CALALIGN
files, archives, event files, an observation's FITS files, source detectors."""
