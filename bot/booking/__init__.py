"""Home disability-assessment visits (上门评残): rounds, race-free booking, waitlist, reminders, export."""
