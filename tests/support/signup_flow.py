"""A small two-step flow for the engine tests (name → town), with a side effect at the end."""
from bot.engine.flows import Flow
from bot.models import OutboxMessage
from bot.outbox.enqueue import enqueue_text
from bot.wechat.reply import Reply
from bot.engine.router import handler


@handler(keywords=("报名",), fuzzy=("我要报名",))
def start(ctx):
    ctx.start_flow(signup, "name")
    return Reply(text="请告诉我您的姓名。回复“取消”可以退出。")


def name(ctx):
    ctx.goto("town", name=ctx.text)
    return Reply(text=f"{ctx.text}，您好。您住在哪个乡镇？")


def town(ctx):
    enqueue_text(ctx.session, ctx.openid, f"报名成功：{ctx.data['name']}，{ctx.text}",
                 dedupe_key=f"signup:{ctx.openid}")
    ctx.end_flow()
    return Reply(text="报名成功！")


signup = Flow("signup", entry=(start,), steps={"name": name, "town": town}, timeout_minutes=5)


def outbox_count(session, openid):
    return session.query(OutboxMessage).filter_by(openid=openid).count()
