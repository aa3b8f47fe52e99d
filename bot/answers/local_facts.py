"""Local facts staff fill (phone, address, amounts): knowledge/local.yaml, rendered into answers."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

PLACEHOLDER = re.compile(r"\{\{\s*([\w.\-]+)\s*\}\}")
# An unfilled fact reads as this short word where it stands; the answer then ends with ONE
# "ask the office" line instead of the same long sentence after every fact (screen readers read it all).
PENDING = "待公布"
CLOSING = "待公布的内容以县残联公布为准"
UNKNOWN = "以县残联最新公布为准"  # a value read on its own (outside an answer), e.g. in the console
UNKNOWN_PHONE = "请拨打 12345 转县残联，或回复 0 转人工"
# The longest value staff would realistically write, per kind of fact (`kind:` in local.yaml, or
# `max:` for one fact). `wxbot kb check` fills every fact this long and measures the reply as sent.
# Amounts carry their unit and start date ("每人每月 1234 元，2026年1月起"), hence 20 not 10.
LONGEST = {"phone": 13, "address": 30, "hours": 30, "amount": 20, "date": 25, "yesno": 20, "name": 20,
           "url": 60, "text": 40, "list": 100, "contact": 50}


def kind_of(key: str, item: dict) -> str:
    """The fact's kind: written in local.yaml, else guessed from the key (phone, address, …)."""
    if item.get("kind") in LONGEST:
        return item["kind"]
    for word, kind in (("phone", "phone"), ("address", "address"), ("hours", "hours"), ("url", "url")):
        if word in key:
            return kind
    return "text"


class LocalFacts:
    """Key → value map; an unfilled value renders as an honest 'ask the office' phrase."""

    def __init__(self, facts: dict[str, dict]):
        self.facts = facts

    @classmethod
    def load(cls, knowledge_dir: str | Path) -> "LocalFacts":
        path = Path(knowledge_dir) / "local.yaml"
        data = yaml.safe_load(path.read_text("utf-8")) if path.exists() else {}
        return cls({k: (v if isinstance(v, dict) else {"value": v}) for k, v in (data or {}).items()})

    def value(self, key: str) -> str | None:
        value = (self.facts.get(key) or {}).get("value")
        return str(value).strip() if value not in (None, "") else None

    def get(self, key: str) -> str:
        """One value on its own line (not inside an answer): the value or a full sentence."""
        value = self.value(key)
        if value is not None:
            return value
        return UNKNOWN_PHONE if ("phone" in key or "电话" in key) else UNKNOWN

    def render(self, text: str) -> str:
        """Placeholders filled; an unfilled one becomes the short word PENDING."""
        return PLACEHOLDER.sub(lambda m: self.value(m.group(1)) or PENDING, text)

    def missing_in(self, text: str) -> list[str]:
        keys = dict.fromkeys(m.group(1) for m in PLACEHOLDER.finditer(text))
        return [k for k in keys if self.value(k) is None]

    def closing(self, text: str) -> str:
        """An answer's last line: the way out, said once; while a fact it uses is unfilled, with CLOSING."""
        if not self.missing_in(text):
            return self.way_out()
        phone = self.office_phone
        return f"{CLOSING}，" + (f"电话 {phone}" if phone else "可拨打 12345 转县残联") + "；回复 0 转人工。"

    def finish(self, text: str, footer: str = "") -> str:
        """An answer as sent: filled, an optional footer line, then the closing line (never cut)."""
        return "\n".join(part for part in (self.render(text).rstrip(), footer, self.closing(text)) if part)

    def longest(self) -> "LocalFacts":
        """Every fact filled at its longest realistic value (for `kb check`)."""
        return LocalFacts({k: {**item, "value": "字" * int(item.get("max") or LONGEST[kind_of(k, item)])}
                           for k, item in self.facts.items()})

    def unfilled(self) -> list[str]:
        return [k for k in self.facts if self.value(k) is None]

    @property
    def office_phone(self) -> str | None:
        return self.value("county.clf_phone")

    def way_out(self) -> str:
        """The line every dead end ends with: a human and a phone."""
        phone = self.office_phone
        return f"回复 0 转人工；县残联电话 {phone}" if phone else "回复 0 转人工；或拨打 12345 转县残联"
