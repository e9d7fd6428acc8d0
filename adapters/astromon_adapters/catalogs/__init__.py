"""Catalog services: VizieR (online) and local catalog files (offline)."""
