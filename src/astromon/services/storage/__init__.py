"""Storage use cases: validated saves, backups, the integrity check, regions."""
