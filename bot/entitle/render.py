"""The result as residents read it: a line per benefit, cautions, numbers that open how to apply."""
from __future__ import annotations

from bot.entitle.rules import MARKS, Caution, Hit, Rules, rule_by_id, why
from bot.wechat.reply import Reply

MAX_CHARS = 600
MORE = "entitle_more"


def _line(number: int, hit: Hit, local=None) -> str:
    """One benefit; the local amount when staff filled it in local.yaml (never a guessed number)."""
    amount = local.value(hit.rule.local) if local is not None and hit.rule.local else None
    return f"{number}. {hit.rule.name}：{MARKS[hit.mark]}。{why(hit)}" + (f"。平阳：{amount}" if amount else "")


def options_for(hits: list[Hit]) -> list[list[str]]:
    """[name, action] per benefit: a knowledge entry opens as topic:ID, a menu function as menu:KEY."""
    return [[h.rule.name, h.rule.opens if h.rule.opens.startswith("menu:") else f"topic:{h.rule.opens}"]
            for h in hits]


def encode(hits: list[Hit]) -> str:
    """The second page travels in the numbered options ("rule.case.mark,…"), not in a stored profile.
    mark: 1 符合, 0 可能, 2 可能 because of a 不清楚 answer."""
    return ",".join(f"{h.rule.id}.{h.case}.{2 if h.loose else 1 if h.mark == '符合' else 0}" for h in hits)


def decode(rules: Rules, payload: str) -> list[Hit]:
    hits = []
    for part in filter(None, payload.split(",")):
        rule_id, _, rest = part.partition(".")
        case, _, sure = rest.partition(".")
        rule = rule_by_id(rules, rule_id)
        if rule is not None and case.isdigit() and int(case) < len(rule.cases):
            hits.append(Hit(rule, int(case), "符合" if sure == "1" else "可能", loose=sure == "2"))
    return hits


def _fill(head: list[str], hits: list[Hit], start: int, tail: list[str], local) -> tuple[list[str], int]:
    """Lines of hits from start that fit in one message with its head and tail (at least one)."""
    shown: list[str] = []
    for i, hit in enumerate(hits[start:], start + 1):
        more = [f"回复“更多”看另外 {len(hits) - i} 项。"] if i < len(hits) else []
        line = _line(i, hit, local)
        if shown and len("\n".join([*head, *shown, line, *tail, *more])) > MAX_CHARS:
            break
        shown.append(line)
    return shown, start + len(shown)


def _page(head: list[str], hits: list[Hit], start: int, notes: list[str], local) -> Reply:
    way_out = local.way_out()
    shown, end = _fill(head, hits, start, ["回复数字看怎么申请。", *notes, way_out], local)
    more = [f"回复“更多”看另外 {len(hits) - end} 项。"] if end < len(hits) else []
    options = options_for(hits[:end])  # every number shown so far keeps working
    if more:
        options.append(["更多", f"{MORE}:{end}|{encode(hits)}"])
    text = "\n".join([*head, *shown, "回复数字看怎么申请。", *more, *notes, way_out])
    return Reply(text=text, options=options, meta={"kind": "command"})


def first_page(hits: list[Hit], cautions: list[Caution], who: str, local) -> Reply:
    if not hits:
        text = (f"按您说的情况，暂时没有找到{who}一定能领的待遇。\n情况可能有变化，也可能有本地政策没列进来。\n"
                f"回复“政策”看全部政策。\n{local.way_out()}")
        return Reply(text=text, meta={"kind": "command"})
    head = [f"按您说的情况，{who}可能可以享受这 {len(hits)} 项："]
    return _page(head, hits, 0, [f"注意：{c.text}" for c in cautions], local)


def next_page(hits: list[Hit], start: int, local) -> Reply:
    """The benefits after the previous message, numbered on; "更多" again while some are left."""
    return _page([f"接上条，还有 {len(hits) - start} 项："], hits, start, [], local)
