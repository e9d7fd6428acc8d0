"""The DuckDB store: sessions inside the file lock, tables, write rules, copies."""
