"""astromon.observation (façade) — being written."""
