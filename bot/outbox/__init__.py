"""Everything we send: queued in the caller's transaction, delivered by the scheduler, reported."""
