"""What handlers return: a Reply (text, articles, numbered options, transfer), never XML."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

from wechatpy.replies import ArticlesReply, TextReply, TransferCustomerServiceReply

# A passive text reply over ~2 KB is rejected by WeChat; keep a margin.
MAX_TEXT_BYTES = 2000


@dataclass
class Reply:
    text: str = ""
    articles: list[dict] = field(default_factory=list)  # {title, description, url, image}
    transfer: bool = False  # hand the conversation to a human (customer-service system)
    silent: bool = False  # acknowledge with "success" and say nothing
    # Numbered choices the resident can answer with "1", "2", …: [label, action] pairs.
    options: list[list[str]] | None = None
    # For the message log: route name, kind, topic, score, explanation.
    meta: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Reply":
        return cls(**data)


def clip_text(text: str, limit: int = MAX_TEXT_BYTES) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", "ignore").rstrip() + "…"


def render_xml(reply: Reply, openid: str, account: str) -> str:
    """The passive-reply XML WeChat expects; '' means answer 'success'."""
    common = {"source": account, "target": openid, "time": int(time.time())}
    if reply.silent:
        return ""
    if reply.transfer:
        return TransferCustomerServiceReply(**common).render()
    if reply.articles:
        news = ArticlesReply(**common)
        for art in reply.articles[:8]:
            news.add_article({"title": art.get("title", ""), "description": art.get("description", ""),
                              "image": art.get("image", ""), "url": art.get("url", "")})
        return news.render()
    return TextReply(content=clip_text(reply.text), **common).render()
