"""The "试一试" page in words: which sample question the resident's words resembled, how sure, why not another.

Reads only the matcher's explanation (bot/answers/matcher/rank.py Result.explain()): the numbers stay
behind an admin-only details toggle on the page; a clerk reads these sentences.
"""
from __future__ import annotations

CLEAR_LEAD = 0.15  # this far ahead of the runner-up, the choice is not close
CLOSE = 0.07  # closer than this, the two topics are a toss-up (the matcher's own margin)


def sureness(decision: str, score: float, runner_up: float | None) -> str:
    """很有把握 / 比较有把握 / 不太确定, from the decision and the lead over the runner-up."""
    if decision != "answer":
        return "不太确定"
    lead = score - (runner_up or 0.0)
    return "很有把握" if lead >= CLEAR_LEAD and score >= 0.5 else "比较有把握"


def explain_in_words(result: dict) -> list[str]:
    """A few sentences for the console's "试一试" page."""
    explain, titles = result.get("explain") or {}, result.get("titles") or {}
    candidates = explain.get("candidates") or []
    if not candidates:
        return ["这个问题和知识库里的任何条目都对不上，居民会收到“没答上”的回复（转人工或打电话）。"]
    top, second = candidates[0], (candidates[1] if len(candidates) > 1 else None)
    name = lambda c: f"“{titles.get(c['id'], c['id'])}”"  # noqa: E731
    decision = result.get("decision") or explain.get("decision")
    sure = sureness(decision, top.get("score", 0.0), second.get("score") if second else None)
    lines = []
    if decision in ("fallback", None):
        lines.append(f"知识库里最接近的是条目{name(top)}" + (f"的示例问题“{top['matched']}”" if top.get("matched") else "")
                     + "，但并不像。")
    elif top.get("matched"):
        lines.append(f"居民的话最像示例问题“{top['matched']}”，它属于条目{name(top)}。")
    else:
        lines.append(f"最接近的条目是{name(top)}。")
    reason = _reason(top)
    if sure == "不太确定" and reason:
        reason = "相似之处：" + reason.removeprefix("因为")
    lines.append(f"把握程度：{sure}。" + reason)
    if explain.get("vague"):
        lines.append("问题很短，又没有说到关键词，只能猜，所以列出几个让居民选。")
    if decision == "answer" and second:
        gap = top.get("score", 0) - second.get("score", 0)
        if gap >= CLEAR_LEAD:
            lines.append(f"没有选{name(second)}：它明显没有{name(top)}像。")
        else:
            lines.append(f"第二接近的是{name(second)}，差距不大，但{name(top)}更像一些。")
    elif decision == "suggest":
        shown = [name(c) for c in candidates[:3] if c["id"] in (result.get("offered") or [])]
        lines.append(f"几个条目差不多像（{'、'.join(shown) or name(top)}），所以列出来让居民自己选，不替居民猜。")
    elif decision in ("fallback", None):
        lines.append("和每个条目都不够像，不硬答：居民会被告知转人工或打电话。"
                     "如果这是常见问题，可以在“没答上的问题”里把它加成示例问题。")
    elif decision == "referral":
        lines.append("这个问题归别的部门管，居民会被指引过去。")
    return lines


def _reason(c: dict) -> str:
    """What in the words made the match, from the components, said plainly."""
    parts = []
    if c.get("keywords"):
        parts.append(f"说到了关键词“{'、'.join(c['keywords'])}”")
    cover = c.get("cover")
    if cover is not None:
        if cover >= 0.7:
            parts.append("问题里的词大多在这个条目里出现")
        elif cover >= 0.3:
            parts.append("问题里只有一部分词在这个条目里出现")
    if c.get("fuzz", 0) >= 0.8:
        parts.append("和示例问题字面（或读音）几乎一样")
    if c.get("cos_e", 0) >= 0.9:
        parts.append("意思和示例问题很接近")
    return f"因为{'，'.join(parts)}。" if parts else ""
