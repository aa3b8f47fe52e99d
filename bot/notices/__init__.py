"""Event notices staff broadcast: audiences, quiet hours and quota, sending, reports."""
