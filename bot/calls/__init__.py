"""Call tasks: a message the system owes a resident that WeChat could not deliver becomes a phone call.

Features mark such messages when they queue them (bot.outbox.notify.notify(owed=…, owed_ref=…)); the
outbox records a final failure, an "unknown" result or a no-channel decision and, in the same
transaction, bot.calls.tasks opens one task per message. Notices and broadcasts are never owed.
"""
