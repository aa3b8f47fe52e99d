"""The real knowledge base's matcher, shared by the matcher test modules (loaded once per module)."""
from __future__ import annotations

import pytest

from bot.answers.knowledge import Bundle
from bot.config import ROOT


@pytest.fixture(scope="module")
def bundle():
    return Bundle.load(ROOT / "knowledge")


@pytest.fixture(scope="module")
def match(bundle):
    return bundle.matcher.match


def answered(result) -> str | None:
    """The entry answered outright, or None for a list or the fallback."""
    return result.offered[0].entry_id if result.decision == "answer" else None
