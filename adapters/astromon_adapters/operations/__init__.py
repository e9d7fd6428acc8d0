"""Operations of the daily run: the run log, the run lock, e-mail alerts."""
