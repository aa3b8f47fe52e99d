"""Jobs for residents: newest postings five at a time, search, details with the phone, subscriptions.

A list remembers itself in the numbered options ("jobs_more:<offset>|<query>"), so "更多" and the
numbers work across workers without extra state.
"""
from __future__ import annotations

import logging
import re

from sqlalchemy import select

from bot.cli import jobs as cli_jobs
from bot.answers import follow_on, knowledge
from bot.engine.features import Feature
from bot.jobs import hooks
from bot.jobs.digest import (MAX_SUBSCRIPTIONS, TooManySubscriptions, add_subscription, describe,
                             list_subscriptions, query_of, remove_subscriptions)
from bot.jobs.models import JobPosting
from bot.jobs.postings import is_open, local_today, record_view
from bot.jobs.render import PAGE_SIZE, detail, list_line
from bot.jobs.search import parse_query, search, strip_command, term_score
from bot.engine.context import Ctx
from bot.answers.normalize import compact, pick_digits
from bot.wechat.reply import Reply
from bot.engine.router import handler

log = logging.getLogger(__name__)
# Job seeking said as a sentence; questions about employment policy (补贴, 招聘会 …) go to policy Q&A.
_EXCLUDE = r"有人帮|帮忙|大学生|毕业|应届|补贴|补助|培训|招聘会|残保金|比例|创业|扶持|奖励|政策|办证|残疾证|残疾人证|评残|保险|工伤|维权|投诉|拖欠|欠薪|辞退"
JOB_INTENT = rf"^(?!.*({_EXCLUDE})).*((找|搜|查|要|想|推荐|介绍|有没有|有什么|适合).{{0,12}}" \
             r"(工作(?!人员|时间|日|单位)|岗位|职位|活干|兼职|零工|打工)|招工|^招聘(?!会))"
_ALL = {"全部", "所有", "全部岗位", "所有岗位", "不限"}
_NUMBER = re.compile(r"(\d{1,2})$")
HOW_TO_SEARCH = "想找特定的，回复“找工作”加地方或工种，例如：找工作 鳌江 包装"


def _reply(text: str, options=None, kind: str = "command") -> Reply:
    return Reply(text=text, options=options, meta={"kind": kind})


def _claimed_elsewhere(ctx: Ctx) -> bool:
    """Is this word another capability's own command ("更多", "退订")? Then jobs declines it."""
    return ctx.match is not None and ctx.match.shared


def show_page(ctx, said: str, offset: int = 0) -> Reply:
    query = parse_query(said, ctx.settings.knowledge_dir)
    query_text = query.words()  # "鳌江镇 包装", not the whole sentence, travels in the options
    found = search(ctx.session, query, local_today())
    if not found:
        return _nothing_found(ctx, query)
    page = found[offset:offset + PAGE_SIZE] or found[:PAGE_SIZE]
    offset = offset if found[offset:offset + PAGE_SIZE] else 0
    title = "最新招聘岗位" if query.empty else f"符合“{query.describe()}”的岗位"
    where = f"，这是第 {offset + 1} 到 {offset + len(page)} 个" if len(found) > PAGE_SIZE else ""
    lines = [f"{title}（共 {len(found)} 个{where}）："]
    options = [[p.title, f"job:{p.id}"] for p in page]
    lines += [f"{i}. {list_line(p)}" for i, p in enumerate(page, 1)]
    lines.append("回复数字看详情和联系电话。")
    if offset + len(page) < len(found):
        options.append(["下一页", f"jobs_more:{offset + len(page)}|{query_text}"])
        lines.append(f"{len(options)}. 下一页（也可以回复“更多”）")
    elif len(found) > PAGE_SIZE:
        options.append(["从头再看", f"jobs_more:0|{query_text}"])
        lines.append(f"{len(options)}. 已经是最后一页，从头再看")
    if offset == 0:
        lines.append(HOW_TO_SEARCH if query.empty else "有新岗位想收到通知，回复：订阅岗位 " + query_text)
    return _reply("\n".join(lines), options)


def _nothing_found(ctx, query) -> Reply:
    if query.empty:
        return _reply(f"现在没有正在招聘的岗位。\n有新岗位时想收到通知，请回复 1。\n{ctx.local.way_out()}",
                      [["订阅全部新岗位", "jobs_subadd:全部"]], kind="fallback")
    return _reply(f"没有找到符合“{query.describe()}”的岗位。\n1. 看全部岗位\n2. 有符合的新岗位时通知我\n"
                  f"{ctx.local.way_out()}",
                  [["看全部岗位", "jobs_more:0|"], ["订阅这个条件", f"jobs_subadd:{query.words()}"]],
                  kind="fallback")


@handler(menu=("JOBS",), keywords=("找工作", "招聘", "工作", "岗位", "招聘信息", "找岗位", "就业岗位", "最新岗位",
                                   "岗位信息", "找活干", "搜工作"),
         prefixes=("找工作", "搜工作", "查工作", "找岗位", "搜岗位", "查岗位", "招聘岗位", "岗位搜索"),
         fuzzy=("找工作", "搜工作", "招聘信息"), regex=JOB_INTENT)
def jobs_search(ctx: Ctx) -> Reply | None:
    # From the menu (a click, or a number picking "找工作") there are no search words.
    text = "" if ctx.msg.is_event or ctx.action_arg == "JOBS" else strip_command(ctx.text)
    return show_page(ctx, text[:40])


@handler(action="jobs_more", keywords=("更多", "下一页", "更多岗位", "还有吗", "还有呢", "换一批", "再来几个"))
def jobs_more(ctx: Ctx) -> Reply | None:
    if ctx.action_arg:  # a numbered pick or a link in a list we sent
        offset, _, query_text = ctx.action_arg.partition("|")
        return show_page(ctx, query_text, int(offset) if offset.isdigit() else 0)
    paging = [o for o in ctx.state.options or [] if o[1].startswith("jobs_more:")]
    if not paging:
        if _claimed_elsewhere(ctx):
            return None
        return _reply(f"没有可以往下翻的列表。\n看招聘岗位，请回复“找工作”。\n{ctx.local.way_out()}",
                               kind="fallback")
    label, action = paging[-1]
    offset, _, query_text = action.partition(":")[2].partition("|")
    if label == "从头再看":
        return _reply("这些就是全部了。\n回复“找工作”从头再看，或换个条件搜，例如：找工作 居家")
    return show_page(ctx, query_text, int(offset))


@handler(action="job", regex=r"^\s*(岗位|工作)\s*(编号)?\s*\d{1,7}\s*$")
def job_detail(ctx: Ctx) -> Reply | None:
    raw = re.sub(r"\D", "", ctx.action_arg or ctx.text)[:9]
    posting = ctx.session.scalar(select(JobPosting).where(JobPosting.id == int(raw or 0),
                                                          is_open(local_today())))
    if posting is None:
        return _reply(f"这个岗位已经结束招聘或撤下了。\n回复“找工作”看现在的岗位。\n{ctx.local.way_out()}",
                      kind="fallback")
    record_view(ctx.session, posting, ctx.openid)
    tail = "回复其他数字看列表里的岗位；回复“更多”看下一页。" if ctx.action_arg else "回复“找工作”看更多岗位。"
    return _reply(f"{detail(posting)}\n{tail}")


@handler(menu=("JOB_SUBSCRIBE",), keywords=("订阅岗位", "订阅工作", "订阅招聘", "岗位订阅", "岗位推送"),
         prefixes=("订阅岗位", "订阅工作", "订阅招聘", "岗位订阅"))
def jobs_subscribe(ctx: Ctx) -> Reply | None:
    said = "" if ctx.msg.is_event or ctx.action_arg == "JOB_SUBSCRIBE" else strip_command(ctx.text)
    if not said:
        return _reply("订阅后，有符合的新岗位，每天最多发您一条消息。\n"
                      "订阅时说明乡镇或工种，例如：订阅岗位 鳌江 包装\n"
                      "也可以按残疾类别，例如：订阅岗位 适合听力残疾\n"
                      "1. 订阅全部新岗位\n2. 查看我的订阅\n不要了，回复“退订”。",
                      [["订阅全部新岗位", "jobs_subadd:全部"], ["查看我的订阅", "jobs_mine:"]])
    return _subscribe(ctx, said[:40])


@handler(action="jobs_subadd")
def jobs_subscribe_picked(ctx: Ctx) -> Reply | None:
    return _subscribe(ctx, ctx.action_arg)


def _subscribe(ctx, said: str) -> Reply:
    everything = compact(said) in _ALL
    try:
        result = add_subscription(ctx.session, ctx.openid, "" if everything else said,
                                  ctx.settings.knowledge_dir, everything=everything)
    except TooManySubscriptions:
        return _reply(f"最多可以订阅 {MAX_SUBSCRIPTIONS} 条。\n请先回复“我的订阅”退订一条再加。\n{ctx.local.way_out()}",
                      kind="fallback")
    if result is None:
        return _reply(f"没听懂要订阅什么。\n请说乡镇或工种，例如：订阅岗位 鳌江 包装\n{ctx.local.way_out()}",
                      kind="fallback")
    sub, created = result
    understood = query_of(sub, ctx.settings.knowledge_dir).words()  # not what was said: no stray numbers
    first = "已订阅" if created else "您之前已经订阅过"
    return _reply(f"{first}：{describe(sub)}。\n有符合的新岗位时，每天最多发您一条消息。\n"
                  "收不到时，也可以随时回复“找工作”查看。\n1. 看现在符合的岗位\n不要了，回复“退订”。",
                  [["看现在符合的岗位", f"jobs_more:0|{'' if everything else understood}"]])


@handler(keywords=("我的订阅", "订阅列表", "查看订阅", "我订阅的", "我的岗位订阅"), action="jobs_mine")
def jobs_mine(ctx: Ctx) -> Reply | None:
    subs = list_subscriptions(ctx.session, ctx.openid)
    if not subs:
        if not ctx.action_arg and _claimed_elsewhere(ctx):
            return None
        return _reply("您还没有订阅岗位。\n想订阅，回复：订阅岗位 加乡镇或工种，例如：订阅岗位 鳌江 包装")
    options = [[describe(s), f"jobs_more:0|{query_of(s, ctx.settings.knowledge_dir).words()}"] for s in subs]
    lines = ["您订阅的岗位："] + [f"{i}. {label}" for i, (label, _a) in enumerate(options, 1)]
    lines += ["回复数字看现在符合的岗位。", "退订一条：回复“退订”加序号，例如：退订 1", "全部退订：回复“退订”"]
    return _reply("\n".join(lines), options)


@handler(prefixes=("退订", "取消订阅", "取消岗位订阅"))
def jobs_unsubscribe(ctx: Ctx) -> Reply | None:
    subs = list_subscriptions(ctx.session, ctx.openid)
    if not subs:
        if _claimed_elsewhere(ctx):
            return None
        return _reply(f"您没有订阅岗位，不会收到岗位通知。\n{ctx.local.way_out()}", kind="fallback")
    match = _NUMBER.search(pick_digits(compact(ctx.text)))
    if match and not 1 <= int(match.group(1)) <= len(subs):
        return _reply(f"没有第 {match.group(1)} 条订阅，您有 {len(subs)} 条。\n回复“我的订阅”查看。", kind="fallback")
    removed = remove_subscriptions(ctx.session, ctx.openid, int(match.group(1)) if match else None)
    left = len(subs) - removed
    return _reply(f"已退订 {removed} 条岗位订阅。" + (f"\n还有 {left} 条，回复“我的订阅”查看。" if left else
                                                     "\n以后不会再收到岗位通知。想重新订阅，回复“订阅岗位”。"))


@handler(answers=("job", "jobs_more"))
def jobs_narrow(ctx: Ctx) -> Reply | None:
    """Right after a job list, a short "居家" or "鳌江 包装" narrows the list, if any posting fits."""
    if len(compact(ctx.text)) > 15:
        return None
    text, found = _postings_named(ctx)
    return show_page(ctx, text[:40]) if found else None


@handler(fallback=True)
def jobs_named(ctx: Ctx) -> Reply | None:
    """A short message that names an open posting ("电商克服", "居家的工作") lists it, unless the policy
    matcher understands it better (电商, 培训, 按摩 are both jobs and policy words)."""
    if any(a.startswith(("job:", "jobs_more:")) for _l, a in ctx.state.options or []):
        return None  # right after a job list jobs_narrow had these words first
    if len(compact(ctx.text)) > 15 or re.search(_EXCLUDE, ctx.text):
        return None
    if follow_on.applies(ctx.text, "suggest"):  # "要钱吗", "在哪里": a question about the last answer
        return None
    text, found = _postings_named(ctx)
    if found and job_fit(ctx.text, parse_query(text, ctx.settings.knowledge_dir), found[0]) >= policy_fit(ctx):
        return show_page(ctx, text[:40])
    return None  # the next handler (policy Q&A) gets it


def _postings_named(ctx: Ctx) -> tuple[str, list]:
    """(the words without a leading command, the open postings they name: [] when none)."""
    if ctx.session is None:  # `wxbot ask` has no database, so no postings to compete with
        return "", []
    text = strip_command(ctx.text)
    query = parse_query(text, ctx.settings.knowledge_dir)
    return text, ([] if query.empty else search(ctx.session, query, local_today()))


def job_fit(said: str, query, best) -> float:
    """0–1: how surely the words name a posting. The title said (or sounded alike) is sure; a kind or
    category alone ("居家的工作") is sure when it comes with a job word."""
    if query.terms:
        title = min(term_score(t, best) for t in query.terms) if best else 0.0
        return min(1.0, title)
    return 0.9 if re.search(r"工作|岗位|活|上班|招工|职位", said) else 0.5


def policy_fit(ctx) -> float:
    """The policy matcher's confidence in its own best entry for the same words (0 if it would not answer)."""
    result = knowledge.bundle(ctx.services).matcher.match(ctx.text)
    return result.score if result.decision == "answer" else 0.0


FEATURE = Feature(
    name="jobs",
    handlers=(jobs_search, jobs_more, job_detail, jobs_subscribe, jobs_subscribe_picked, jobs_mine,
              jobs_unsubscribe, jobs_narrow, jobs_named),
    ticks=hooks.TICKS, tag_audiences=hooks.TAG_AUDIENCES, forgetters=hooks.FORGETTERS,
    cli=(cli_jobs.jobs, cli_jobs.token), pages=("bot.admin.views.jobs",),
)
