"""The messages bench_webhook sends, and how it checks the answers.

A resident's script (sent in order on one connection): a menu word, a numbered pick, policy questions
drawn from a small pool (so questions repeat across residents, as they do), menu CLICK events, a job
search, a short flow (start registration, cancel it). Every message is new (MsgId, nonce, timestamp).
"""
from __future__ import annotations

import itertools
from pathlib import Path

from bot.config import Settings
from bot.devtools.simulate import build_xml, read_reply, signed_request

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "knowledge" / "eval"
APOLOGY = "系统刚才出了点问题"
_ids = itertools.count(10**15)


def _questions(name: str) -> list[str]:
    path = EVAL / name
    if not path.exists():
        return []
    lines = [ln.split("\t", 1) for ln in path.read_text(encoding="utf-8").splitlines() if ln and ln[0] != "#"]
    return [q.strip() for _id, q in (ln for ln in lines if len(ln) == 2) if q.strip()]


POOL = _questions("tune.tsv")[:12]  # the questions residents keep asking


def _script(k: int) -> list[dict]:
    q = POOL[k % len(POOL)], POOL[(k * 7 + 3) % len(POOL)], POOL[(k * 5 + 1) % len(POOL)]
    return [{"Content": "菜单"}, {"Content": "1"}, {"Content": q[0]},
            {"Event": "CLICK", "EventKey": "TOPIC_SUBSIDY"}, {"Content": q[1]}, {"Content": "找工作"},
            {"Event": "CLICK", "EventKey": "JOBS"}, {"Content": "注册"}, {"Content": "取消"}, {"Content": q[2]}]


def _signed(settings: Settings, openid: str, fields: dict) -> tuple[str, bytes]:
    if "Event" in fields:
        xml = build_xml(openid, "event", **fields)
    else:
        xml = build_xml(openid, "text", msg_id=str(next(_ids)), **fields)
    return signed_request(settings, xml, encrypt=True)


def mix(settings: Settings, n: int, tag: str) -> list[list[tuple[str, bytes]]]:
    """About n messages as residents' scripts (each resident new, so flows start clean)."""
    scripts, total, k = [], 0, 0
    while total < n:
        steps = _script(k)[: n - total]
        scripts.append([_signed(settings, f"o_{tag}_{k}", f) for f in steps])
        total, k = total + len(steps), k + 1
    return scripts


def commands(settings: Settings, n: int, tag: str) -> list[list[tuple[str, bytes]]]:
    """Only messages that never reach the matcher: menu words, numbered picks, CLICK events, a flow."""
    steps = [{"Content": "菜单"}, {"Content": "1"}, {"Event": "CLICK", "EventKey": "TOPIC_SUBSIDY"},
             {"Content": "找工作"}, {"Event": "CLICK", "EventKey": "JOBS"}, {"Content": "注册"}, {"Content": "取消"},
             {"Event": "CLICK", "EventKey": "CONTACT"}]
    return [[_signed(settings, f"o_{tag}_{k}", f) for f in steps] for k in range(max(1, n // len(steps)))]


def distinct_questions(settings: Settings, tag: str) -> list[list[tuple[str, bytes]]]:
    """Every tuning question once (none repeats, so no answer cache helps), one resident each."""
    questions = list(dict.fromkeys(_questions("tune.tsv") + _questions("tune-extra.tsv")))
    return [[_signed(settings, f"o_{tag}_{i}", {"Content": q})] for i, q in enumerate(questions)]


def failure(settings: Settings, status: int, body: bytes, floor: bool = False) -> bool:
    """Non-200, an empty acknowledgement ("success"), an undecryptable body or the apology."""
    if status != 200:
        return True
    try:
        reply = read_reply(settings, body, encrypted=True)
    except Exception:  # noqa: BLE001
        return True
    if reply["type"] == "success":
        return True
    text = reply["text"] + "".join(str(a) for a in reply["articles"])
    return (not text) or (APOLOGY in text) or (floor and len(reply["text"]) != 300)
