"""The result as the resident reads it: one line per benefit, cautions, numbers that open how to apply; ≤ 600 characters."""
from __future__ import annotations

from bot.entitlements import MARKS, Caution, Hit, Rules, rule_by_id, why
from bot.reply import Reply

MAX_CHARS = 600
MORE = "entitle_more"


def _line(number: int, hit: Hit) -> str:
    return f"{number}. {hit.rule.name}：{MARKS[hit.mark]}。{why(hit)}"


def options_for(hits: list[Hit]) -> list[list[str]]:
    """[name, action] per benefit: a knowledge entry opens as topic:ID, a menu function as menu:KEY."""
    return [[h.rule.name, h.rule.opens if h.rule.opens.startswith("menu:") else f"topic:{h.rule.opens}"]
            for h in hits]


def encode(hits: list[Hit]) -> str:
    """The second page travels in the numbered options ("rule.case.mark,…"), not in a stored profile."""
    return ",".join(f"{h.rule.id}.{h.case}.{'1' if h.mark == '符合' else '0'}" for h in hits)


def decode(rules: Rules, payload: str) -> list[Hit]:
    hits = []
    for part in filter(None, payload.split(",")):
        rule_id, _, rest = part.partition(".")
        case, _, sure = rest.partition(".")
        rule = rule_by_id(rules, rule_id)
        if rule is not None and case.isdigit() and int(case) < len(rule.cases):
            hits.append(Hit(rule, int(case), "符合" if sure == "1" else "可能"))
    return hits


def first_page(hits: list[Hit], cautions: list[Caution], who: str, way_out: str) -> Reply:
    if not hits:
        text = (f"按您说的情况，暂时没有找到{who}一定能领的待遇。\n情况可能有变化，也可能有本地政策没列进来。\n"
                f"回复“政策”看全部政策。\n{way_out}")
        return Reply(text=text, meta={"kind": "command"})
    head = f"按您说的情况，{who}可能可以享受这 {len(hits)} 项："
    notes = [f"注意：{c.text}" for c in cautions]
    tail = ["回复数字看怎么申请。", *notes, way_out]
    shown: list[str] = []
    for i, hit in enumerate(hits, 1):
        line = _line(i, hit)
        rest = len(hits) - i
        more = [f"回复“更多”看另外 {rest} 项。"] if rest else []
        if shown and len("\n".join([head, *shown, line, *tail, *more])) > MAX_CHARS:
            break
        shown.append(line)
    left = hits[len(shown):]
    tail = ["回复数字看怎么申请。", *([f"回复“更多”看另外 {len(left)} 项。"] if left else []), *notes, way_out]
    options = options_for(hits[:len(shown)])
    if left:
        options.append(["更多", f"{MORE}:{len(shown)}|{encode(hits)}"])
    text = "\n".join([head, *shown, *tail])
    return Reply(text=text, options=options, meta={"kind": "command"})


def next_page(hits: list[Hit], start: int, way_out: str) -> Reply:
    """The benefits after the first message, numbered on; every number of both messages still works."""
    lines = [f"接上条，还有 {len(hits) - start} 项："]
    lines += [_line(i, h) for i, h in enumerate(hits, 1) if i > start]
    lines += ["回复数字看怎么申请。", way_out]
    text = "\n".join(lines)
    while len(text) > MAX_CHARS and len(lines) > 4:  # a very long list: the rest is for a human to go through
        lines.pop(-3)
        text = "\n".join(lines[:-2] + ["还有几项没列出，回复 0 转人工帮您看。", *lines[-2:]])
    return Reply(text=text, options=options_for(hits), meta={"kind": "command"})
