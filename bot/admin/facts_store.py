"""Editing one value in knowledge/local.yaml in place, keeping the file's comments and layout.

Staff and the content team both edit this file by hand; a round trip through yaml.dump would drop
every comment and hint, so only the `value:` lines of the one key are replaced.
"""
from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

import yaml

from bot.answers.kb_lint import MAX_SENT_CHARS, too_long_after_filling
from bot.answers.knowledge_files import atomic_write

log = logging.getLogger(__name__)
_lock = threading.Lock()
_KEY = re.compile(r"^([^\s#][^:]*):\s*(#.*)?$")  # a top-level "key:" line


class EditError(ValueError):
    """An edit that would break the knowledge base (message for staff)."""


def _scalar(value: str | None) -> list[str]:
    """The `value:` line(s) for value: null, one quoted line, or a literal block for several lines."""
    if value is None or not value.strip():
        return ["  value: null"]
    value = "\n".join(line.rstrip() for line in value.strip().replace("\r\n", "\n").split("\n"))
    if "\n" in value:
        return ["  value: |"] + [f"    {line}" if line else "" for line in value.split("\n")]
    return ["  value: " + yaml.safe_dump(value, allow_unicode=True, width=10_000, default_style='"').strip()
            .removesuffix("\n...")]


def _block(lines: list[str], key: str) -> tuple[int, int]:
    """Line range [start, end) of key's mapping (up to the next top-level key or comment)."""
    start = next((i for i, line in enumerate(lines) if (m := _KEY.match(line)) and m.group(1).strip() == key), None)
    if start is None:
        raise EditError(f"local.yaml 里没有 {key}")
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith((" ", "\t"))):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1  # blank lines before the next key belong to the layout, not to this block
    return start, end


def _value_lines(lines: list[str], start: int, end: int) -> tuple[int, int] | None:
    for i in range(start + 1, end):
        if re.match(r"^ {2}value\s*:", lines[i]):
            j = i + 1
            while j < end and (not lines[j].strip() or re.match(r"^ {3,}", lines[j])):
                j += 1
            while j > i + 1 and not lines[j - 1].strip():
                j -= 1
            return i, j
    return None


def write_value(knowledge_dir: str | Path, key: str, value: str | None) -> None:
    """Set key's value (None/blank = not filled) and verify the file still reads back the same."""
    path = Path(knowledge_dir) / "local.yaml"
    with _lock:
        text = path.read_text("utf-8")
        lines = text.split("\n")
        start, end = _block(lines, key)
        found = _value_lines(lines, start, end)
        new = _scalar(value)
        if found:
            lines[found[0]:found[1]] = new
        else:
            lines[start + 1:start + 1] = new
        result = "\n".join(lines)
        data = yaml.safe_load(result) or {}
        expected = value.strip() if value and value.strip() else None
        got = (data.get(key) or {}).get("value")
        if (str(got).strip() if got is not None else None) != (
                "\n".join(line.rstrip() for line in expected.replace("\r\n", "\n").split("\n")) if expected else None):
            raise EditError("写入 local.yaml 后读回的内容不一致，没有保存。请联系技术人员。")
        too_long = too_long_after_filling(knowledge_dir, data, key)
        if too_long:  # WeChat would cut the reply and its way out: refuse, say which answers
            raise EditError(f"填了这么长以后，“{'、'.join(too_long)}”的答复会超过 {MAX_SENT_CHARS} 字，"
                            "微信会截断。请写短一些，比如只写最常用的一两项。")
        atomic_write(path, result)
    log.info("local fact %s %s", key, "filled" if value else "cleared")


def load_facts(knowledge_dir: str | Path) -> list[dict]:
    """Every fact in file order with its label, hint, value and the section comment above it."""
    path = Path(knowledge_dir) / "local.yaml"
    data = yaml.safe_load(path.read_text("utf-8")) if path.exists() else {}
    sections, current = {}, ""
    for line in path.read_text("utf-8").split("\n") if path.exists() else []:
        heading = re.match(r"^#\s*-{2,}\s*(.+?)\s*-{2,}\s*$", line)
        if heading:
            current = heading.group(1)
        elif (m := _KEY.match(line)) is not None:
            sections[m.group(1).strip()] = current
    facts = []
    for key, item in (data or {}).items():
        item = item if isinstance(item, dict) else {"value": item}
        value = item.get("value")
        facts.append({"key": str(key), "label": item.get("label") or key, "hint": item.get("hint") or "",
                      "value": "" if value is None else str(value).strip(), "section": sections.get(key, ""),
                      "filled": value not in (None, "")})
    return facts
