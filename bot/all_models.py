"""Imports every model module so Base.metadata knows all tables (Alembic, tests)."""
import bot.models  # noqa: F401
import bot.models_delivery  # noqa: F401
