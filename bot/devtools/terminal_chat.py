"""`wxbot chat`: a terminal simulator that talks to the app through signed XML in-process."""
from __future__ import annotations

import click

from bot import migrate
from bot.config import DEMO, Settings
from bot.devtools.simulate import build_xml, encrypts, read_reply, signed_request
from webhook import create_app

HELP = "输入文字提问；:关注 模拟关注，:菜单 KEY 模拟点菜单，:语音 文字 模拟语音，:退出 结束。"


def run_chat(openid: str, encrypt: bool) -> None:
    settings = Settings.from_env(demo=True)  # a developer's simulator: demo values for what is unset
    if encrypt and not settings.wechat_aes_key:
        settings = settings.with_(wechat_aes_key=DEMO["WECHAT_AES_KEY"])
    migrate.upgrade(settings)  # a developer's first command may be this one: the schema must exist
    client = create_app(settings).test_client()
    click.echo(HELP)
    xml = build_xml(openid, "event", settings.wechat_account, Event="subscribe", EventKey="")
    _send(client, settings, xml, encrypt, openid)
    while True:
        try:
            line = input("我> ").strip()
        except (EOFError, KeyboardInterrupt):
            click.echo("")
            return
        if not line:
            continue
        if line in (":退出", ":q", ":quit"):
            return
        if line.startswith(":关注"):
            xml = build_xml(openid, "event", settings.wechat_account, Event="subscribe", EventKey="")
        elif line.startswith(":菜单"):
            xml = build_xml(openid, "event", settings.wechat_account, Event="CLICK",
                            EventKey=line.removeprefix(":菜单").strip())
        elif line.startswith(":语音"):
            xml = build_xml(openid, "voice", settings.wechat_account, MediaId="term", Format="amr",
                            Recognition=line.removeprefix(":语音").strip())
        else:
            xml = build_xml(openid, "text", settings.wechat_account, Content=line)
        _send(client, settings, xml, encrypt, openid)


def _send(client, settings, xml, encrypt, openid) -> None:
    encrypt = encrypt or encrypts(settings)  # safe mode refuses plaintext
    query, body = signed_request(settings, xml, encrypt=encrypt, openid=openid)
    resp = client.post(f"/wechat?{query}", data=body, content_type="text/xml")
    if resp.status_code != 200:  # e.g. 503 while the database is unavailable: WeChat would retry
        click.echo(f"助手> （服务器回答 {resp.status_code}：{resp.get_data(as_text=True)[:80]}）")
        return
    reply = read_reply(settings, resp.data, encrypted=encrypt)
    if reply["type"] == "text":
        click.echo("助手> " + reply["text"].replace("\n", "\n      "))
    elif reply["type"] == "news":
        for art in reply["articles"]:
            click.echo(f"助手> [图文] {art['title']} {art['description']}")
    elif reply["type"] == "transfer_customer_service":
        click.echo("助手> （已转接人工客服）")
    else:
        click.echo("助手> （无回复）")
