"""Storage adapters: DuckDB files, the legacy HDF5 file, locks and table files."""
