"""Imports every model module so Base.metadata knows all tables (Alembic, tests)."""
import bot.models  # noqa: F401
import bot.outbox.models  # noqa: F401
import bot.models_meta  # noqa: F401
import bot.admin.models  # noqa: F401
import bot.booking.models  # noqa: F401
import bot.people.models  # noqa: F401
import bot.jobs.models  # noqa: F401
import bot.calls.models  # noqa: F401
import bot.safety.models  # noqa: F401
import bot.entitle.counts  # noqa: F401
import bot.aids.models  # noqa: F401
