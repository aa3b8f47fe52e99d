"""Local facts staff fill (phone, address, amounts): knowledge/local.yaml, rendered into answers."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

PLACEHOLDER = re.compile(r"\{\{\s*([\w.\-]+)\s*\}\}")
UNKNOWN = "以县残联最新公布为准"
UNKNOWN_PHONE = "请拨打 12345 转县残联，或回复 0 转人工"


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
        value = self.value(key)
        if value is not None:
            return value
        return UNKNOWN_PHONE if ("phone" in key or "电话" in key) else UNKNOWN

    def render(self, text: str) -> str:
        return PLACEHOLDER.sub(lambda m: self.get(m.group(1)), text)

    def unfilled(self) -> list[str]:
        return [k for k in self.facts if self.value(k) is None]

    @property
    def office_phone(self) -> str | None:
        return self.value("county.clf_phone")

    def way_out(self) -> str:
        """The line every dead end ends with: a human and a phone."""
        phone = self.office_phone
        return f"回复 0 转人工；县残联电话 {phone}" if phone else "回复 0 转人工；或拨打 12345 转县残联"
