"""The county's towns (knowledge/towns.yaml) and tolerant matching of what residents type or say."""
from __future__ import annotations

from pathlib import Path

import yaml

from bot.answers.knowledge_files import FileCache
from bot.answers.normalize import compact, pinyin_key


def _load(path: Path) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not path.exists():
        return ()
    data = yaml.safe_load(path.read_text("utf-8")) or {}
    return tuple((t["name"], tuple(t.get("aliases") or ())) for t in data.get("towns", []))


_towns = FileCache(_load)


def towns(knowledge_dir: str) -> list[str]:
    return [name for name, _ in _entries(knowledge_dir)]


def _entries(knowledge_dir: str):
    return _towns.get(Path(knowledge_dir) / "towns.yaml")


def match_town(knowledge_dir: str, said: str) -> str | None:
    """'鳌江' / '敖江' / 'aojiang' / '我住在鳌江镇那边' → '鳌江镇'; None when unsure."""
    text = compact(said)
    if not text:
        return None
    entries = _entries(knowledge_dir)
    for name, aliases in entries:  # the name or an alias inside the sentence
        if any(word in text for word in (name, *aliases)):
            return name
    spoken = pinyin_key(text).replace(" ", "")
    for name, aliases in entries:  # dictated homophones
        if any(pinyin_key(word).replace(" ", "") in spoken for word in (name, *aliases) if len(word) >= 2):
            return name
    return None
