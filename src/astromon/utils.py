"""astromon.utils (façade) — being written."""
