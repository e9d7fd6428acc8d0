"""astromon.db (façade) — being written."""
