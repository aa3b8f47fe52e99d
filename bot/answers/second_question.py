"""The reply to two questions in one message: the first answered, the second one number away.

"意外险理赔找谁 还有护理补贴怎么申请": the matcher answers the first-asked question and keeps the second
as `Result.also` (bot/answers/matcher/two_asks.py). The reply must not lose it: a last line names it
and offers it as option 1, so a resident (often on a screen reader, or dictating) gets it by sending
"1" instead of asking again.
"""
from __future__ import annotations

from bot.wechat.reply import Reply

# The words of the line; the title is the entry's own ("护理补贴", "残疾证注销").
LINE = "您还问了：{title}，回复 1 看。"


def offer(reply: Reply, also) -> Reply:
    """`reply` with the second question offered as option 1 (`also`: a matcher Candidate or None).

    Only on a reply without numbered options of its own: a number must mean one thing."""
    if also is None or reply.options:
        return reply
    reply.text = reply.text.rstrip() + "\n" + LINE.format(title=also.title)
    reply.options = [[also.title, f"topic:{also.entry_id}"]]
    reply.meta["also"] = also.entry_id  # staff see both topics in the message log
    return reply
