"""Delivery settings from knowledge/templates.yaml: template ids and field mappings, quotas, rates."""
from __future__ import annotations

import logging
import string
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.answers.knowledge_files import FileCache

log = logging.getLogger(__name__)
TEMPLATE_VALUE_MAX = 20  # WeChat's limit per template value since 2023-05
DEFAULT_RATES = {"mass": 60, "template": 6000, "custom": 6000}  # calls per minute


@dataclass(frozen=True)
class Template:
    kind: str
    template_id: str
    fields: dict[str, str]  # template keyword → format string over the feature's fields
    url: str = ""

    def render(self, values: dict) -> dict[str, dict[str, str]]:
        """Template data with every value filled and cut to 20 characters; missing fields render empty."""
        safe = _Blank({k: "" if v is None else str(v) for k, v in (values or {}).items()})
        formatter = string.Formatter()
        return {key: {"value": clip(formatter.vformat(fmt, (), safe))} for key, fmt in self.fields.items()}


class _Blank(dict):
    def __missing__(self, key):
        return ""


def clip(value: str, limit: int = TEMPLATE_VALUE_MAX) -> str:
    value = " ".join(str(value).split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


@dataclass(frozen=True)
class DeliveryConfig:
    templates: dict[str, Template] = field(default_factory=dict)
    mass_daily_quota: int = 1
    rates_per_minute: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_RATES))

    def template(self, kind: str | None) -> Template | None:
        """The configured template for a kind, or None (no id yet: use text instead)."""
        tpl = self.templates.get(kind or "")
        return tpl if tpl and tpl.template_id else None

    @classmethod
    def from_dict(cls, data: dict) -> "DeliveryConfig":
        limits = data.get("limits") or {}
        templates = {}
        for kind, spec in (data.get("templates") or {}).items():
            spec = spec or {}
            templates[kind] = Template(kind=kind, template_id=str(spec.get("template_id") or "").strip(),
                                       fields={str(k): str(v) for k, v in (spec.get("fields") or {}).items()},
                                       url=str(spec.get("url") or ""))
        rates = {**DEFAULT_RATES, **{k: int(v) for k, v in (limits.get("rates_per_minute") or {}).items()}}
        return cls(templates=templates, mass_daily_quota=int(limits.get("mass_daily_quota", 1)),
                   rates_per_minute=rates)


def _read(path: Path) -> DeliveryConfig:
    if not path.exists():
        return DeliveryConfig()
    return DeliveryConfig.from_dict(yaml.safe_load(path.read_text("utf-8")) or {})


_configs = FileCache(_read, keep_on=(yaml.YAMLError, ValueError, TypeError, AttributeError),
                     fallback=DeliveryConfig)


def load_config(knowledge_dir: str | Path) -> DeliveryConfig:
    """Read templates.yaml, re-reading when the file changes (staff edit it while the scheduler runs)."""
    return _configs.get(Path(knowledge_dir) / "templates.yaml")
