"""astromon.cross_match (façade) — being written."""
