"""The monitoring report: the selection of cross-matches and the report built on it."""
