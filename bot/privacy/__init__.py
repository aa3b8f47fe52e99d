"""Personal data: encryption, masking and log scrubbing, audit trail, retention, forgetting."""
