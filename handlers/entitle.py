"""“我能领什么”: a personal entitlement check (bot.entitle), started by words, voice or the menu."""
from __future__ import annotations

from bot.entitle import rules as entitlements
from bot.entitle import flow as steps
from bot.entitle.flow import start
from bot.entitle.render import MORE, decode, next_page
from bot.wechat.reply import Reply
from bot.engine.features import Feature
from bot.engine.flows import Flow
from bot.engine.router import handler

# Whole messages only: "残疾人有哪些补贴可以领" stays a policy question with its own answer.
ENTRY = (r"^(请问|你好|您好)?(我|我们|我家|我们家|俺|孩子|我孩子|我儿子|我女儿|我爸|我妈|家里)?"
         r"(能|可以|可)?(领|享受|拿|申请)(到)?(些)?(什么|哪些|啥|哪几个|哪几种)(补贴|政策|补助|待遇|福利|钱)?"
         r"(呢|啊|呀|吗)?[?？。!！]*$")


@handler(menu=("ENTITLE",), keywords=("我能领什么", "我能享受哪些政策", "有哪些补贴", "政策体检", "我能享受什么政策",
                                      "能领什么补贴", "有什么补贴", "我可以领什么", "有哪些政策", "有什么政策",
                                      "我能领哪些补贴", "补贴体检", "我能拿什么补贴", "哪些补贴我能领"),
         regex=ENTRY, fuzzy=("我能领什么", "政策体检", "有哪些补贴", "我能享受哪些政策"), action="entitle_start")
def entitle_start(ctx):
    return start(ctx)


@handler(action=MORE, keywords=("更多", "下一页", "还有吗", "还有呢"))
def entitle_more(ctx):
    """The second message of a result; "更多" after anything else is not ours."""
    arg = ctx.action_arg
    if not arg:
        paging = [o for o in ctx.state.options or [] if o[1].startswith(f"{MORE}:")]
        if not paging:  # handlers.jobs pages first and declined: nothing to page at all
            return Reply(text=f"没有可以往下翻的列表。\n看招聘岗位，请回复“找工作”。\n{ctx.local.way_out()}",
                         meta={"kind": "fallback"})
        arg = paging[-1][1].partition(":")[2]
    start_at, _, payload = arg.partition("|")
    hits = decode(entitlements.load(ctx.settings.knowledge_dir), payload)
    if not hits or not start_at.isdigit():
        return Reply(text="这份结果已经过期了，请回复“我能领什么”重新查。", meta={"kind": "command"})
    return next_page(hits, int(start_at), ctx.local)


check_flow = Flow("entitle", entry=(entitle_start,),
                  steps={"confirm": steps.confirm, "cert_where": steps.cert_where, **steps.QUESTIONS},
                  timeout_minutes=30, on_cancel=steps.ON_CANCEL,
                  on_timeout="上次的政策体检超过 30 分钟没有做完，已自动取消，回答没有保存。")

FEATURE = Feature(
    name="entitle",
    handlers=(entitle_start, entitle_more),
    flows=(check_flow,),
    pages=("bot.admin.views.entitle",),
)
