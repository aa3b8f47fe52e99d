"""Writing knowledge/ from the console: entry YAML files (atomic), history rows, export from the DB.

The YAML files remain what every worker's matcher reads (it reloads when knowledge/ changes); the
database keeps who changed what, and `export_all` can rewrite the files from it on another host.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import threading
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.admin.facts_store import EditError, write_value
from bot.admin.models import KnowledgeEdit
from bot.answers.kb_lint import sent_text
from bot.answers.knowledge import MAX_ANSWER_CHARS, Entry
from bot.answers.knowledge_files import atomic_write
from bot.answers.local_facts import PLACEHOLDER, LocalFacts
from bot.answers.normalize import compact
from bot.db import local_now
from bot.privacy.pii import scrub

log = logging.getLogger(__name__)
FIELD_ORDER = ("id", "kind", "title", "questions", "keywords", "answer", "source", "updated", "links")
_write_lock = threading.Lock()
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)  # "  - item", as the hand-written files


class _Flow(list):
    """A list written on one line ([a, b]), as keywords are in the hand-written files."""


def _str(dumper, value: str):
    # Answers are several lines: a literal block keeps them readable in the file and in diffs.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def plain(data: dict) -> dict:
    """JSON-safe copy for the history columns (YAML gives dates as date objects)."""
    return json.loads(json.dumps(data, ensure_ascii=False, default=str))


def to_yaml(data: dict) -> str:
    data = dict(data)
    if isinstance(data.get("updated"), str) and _DATE.fullmatch(data["updated"]):
        data["updated"] = dt.date.fromisoformat(data["updated"])  # unquoted, like hand-written files
    if isinstance(data.get("keywords"), list):
        data["keywords"] = _Flow(data["keywords"])
    ordered = {k: data[k] for k in FIELD_ORDER if k in data}
    ordered.update({k: v for k, v in data.items() if k not in ordered})
    return yaml.dump(ordered, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)


def version_of(path: str | Path) -> str:
    """A short hash of the file: a form saved against an older version is refused, not merged."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except FileNotFoundError:
        return ""


def entry_path(knowledge_dir: str | Path, entry_id: str) -> Path:
    path = Path(knowledge_dir) / "entries" / f"{entry_id}.yaml"
    if path.resolve().parent != (Path(knowledge_dir) / "entries").resolve():
        raise EditError("条目编号不合法")
    return path


def read_entry(knowledge_dir: str | Path, entry_id: str) -> dict:
    path = entry_path(knowledge_dir, entry_id)
    if not path.exists():
        raise EditError(f"没有条目 {entry_id}")
    data = yaml.safe_load(path.read_text("utf-8"))
    if not isinstance(data, dict) or str(data.get("id")) != entry_id:
        raise EditError(f"{path.name} 不是单个条目，请在文件里修改")
    return data


def check_entry(data: dict, local: LocalFacts) -> list[str]:
    """Problems that must block a save (the same rules the matcher's loader and `kb check` apply)."""
    try:
        entry = Entry.from_dict(data)
    except ValueError as exc:
        return [f"条目不完整：{exc}"]
    problems = []
    unknown = sorted({m.group(1) for m in PLACEHOLDER.finditer(entry.answer)} - set(local.facts))
    if unknown:
        problems.append(f"答复里有不存在的本地信息键名：{'、'.join(unknown)}")
    rendered = len(local.render(entry.answer))
    longest = len(sent_text(entry, local.longest()))  # the reply as sent, every fact filled long
    if rendered > MAX_ANSWER_CHARS:
        problems.append(f"答复填入本地信息后有 {rendered} 字，超过 {MAX_ANSWER_CHARS} 字")
    elif longest > MAX_ANSWER_CHARS:
        problems.append(f"本地信息都填上以后，发出去的答复会有 {longest} 字，超过 {MAX_ANSWER_CHARS} 字，"
                        "微信会截掉最后的“回复 0 转人工”。请写短一些")
    if len(entry.questions) < 3:
        problems.append("示例问题至少 3 个")
    return problems


def save_entry(session: Session, knowledge_dir: str | Path, entry_id: str, changes: dict, actor: str,
               action: str = "edit", base_version: str | None = None, question: str | None = None) -> dict:
    """Apply changes to one entry, validate, write its file and record the edit; returns the new data."""
    with _write_lock:
        path = entry_path(knowledge_dir, entry_id)
        if base_version is not None and base_version != version_of(path):
            raise EditError("这个条目刚被别人改过。请重新打开后再改（您的修改还在下面，可复制）。")
        before = read_entry(knowledge_dir, entry_id)
        after = {**before, **changes, "id": entry_id, "updated": local_now().date().isoformat()}
        problems = check_entry(after, LocalFacts.load(knowledge_dir))
        if problems:
            raise EditError("；".join(problems))
        atomic_write(path, to_yaml(after))
        session.add(KnowledgeEdit(target=entry_id, action=action, before=plain(before), after=plain(after),
                                  actor=actor, question=question))
    log.info("knowledge entry %s %s by %s", entry_id, action, actor)
    return after


def add_question(session: Session, knowledge_dir: str | Path, entry_id: str, question: str, actor: str) -> bool:
    """Add a resident's wording as a sample question (ID/phone numbers masked); False if already there."""
    text = " ".join(scrub(question).split())[:200]
    if not text:
        raise EditError("问题不能为空")
    data = read_entry(knowledge_dir, entry_id)
    questions = [str(q) for q in data.get("questions") or []]
    if compact(text) in {compact(q) for q in questions}:
        return False
    save_entry(session, knowledge_dir, entry_id, {"questions": questions + [text]}, actor,
               action="add_question", question=text)
    return True


def history(session: Session, target: str, limit: int = 50) -> list[KnowledgeEdit]:
    return list(session.scalars(select(KnowledgeEdit).where(KnowledgeEdit.target == target)
                                .order_by(KnowledgeEdit.id.desc()).limit(limit)))


def export_all(session: Session, knowledge_dir: str | Path) -> list[str]:
    """Rewrite every entry file whose newest console version differs from the file (other hosts)."""
    latest = select(KnowledgeEdit.target, func.max(KnowledgeEdit.id).label("id")).where(
        KnowledgeEdit.after.is_not(None)).group_by(KnowledgeEdit.target).subquery()
    written = []
    for edit in session.scalars(select(KnowledgeEdit).join(latest, KnowledgeEdit.id == latest.c.id)):
        if edit.target.startswith("local:"):
            key = edit.target.split(":", 1)[1]
            if LocalFacts.load(knowledge_dir).value(key) != (edit.after or {}).get("value"):
                write_value(knowledge_dir, key, (edit.after or {}).get("value"))
                written.append(edit.target)
            continue
        path = entry_path(knowledge_dir, edit.target)
        text = to_yaml(edit.after)
        if not path.exists() or path.read_text("utf-8") != text:
            atomic_write(path, text)
            written.append(edit.target)
    return written
