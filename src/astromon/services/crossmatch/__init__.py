"""Cross-matching use cases: stored and new cross-matches, counterparts, recomputing."""
