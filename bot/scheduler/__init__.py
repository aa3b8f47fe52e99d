"""The one scheduler process: the ticks features declare, under a single-instance lock."""
