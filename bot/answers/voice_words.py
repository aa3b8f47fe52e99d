"""How residents answer a step in their own words, typed or dictated: yes, "I'm leaving", who they are."""
from __future__ import annotations

import functools
import re

from bot.answers.normalize import compact
from bot.engine.flows import active_flow
from bot.wechat.reply import Reply
from bot.answers.towns import match_town

YES_WORDS = {"确认", "确定", "是", "是的", "对", "对的", "对对", "对啊", "没错", "正确", "好", "好的", "好啊", "好嘞",
             "行", "行的", "可以", "可以的", "没问题", "嗯", "嗯嗯", "提交", "确认预约", "确认提交", "同意", "就这样",
             "1", "ok", "OK", "Ok"}
# "我不注册了" "不约了" "算了不预约了": the resident is leaving this flow (opt-in per flow: in "cancel my
# booking?" the same words mean "yes, cancel", so that flow does not use it).
# A reason may follow: "我不弄了太麻烦", "不办了以后再说".
REASONS = r"(太麻烦|好麻烦|麻烦|太难|好难|不会弄|弄不来|以后再说|下次再说|改天再说|不想弄)"
LEAVING = re.compile(r"^(算了|那|我|我们|就|先|还是|暂时)*((不|别)(想|要|用)?(再)?"
                     r"(注册|绑定|预约|约|办|弄|填|登记|评|借)|不要)(了|啦)?(吧|啊|呀)?"
                     rf"({REASONS}(了|啦)?(吧|啊|呀)?)*$")
# Stuck, not leaving: "这个我不会填" "看不懂" asks for help. The step stays open (they may go on).
# Not checked where the step takes free text (a reason, an address): "他不会说话" is an answer there.
STUCK = re.compile(r"^.{0,4}(不会(弄|填|操作|搞|打字)|(弄|搞|看)不(来|懂|明白)|不知道怎么(弄|填|办))"
                   r".{0,4}$")
# Role words: what the SPEAKER is to the disabled person ("我是他妈妈" → a parent).
ROLES = {"1": ("配偶", "老伴", "丈夫", "妻子", "老公", "老婆", "爱人", "媳妇"),
         "2": ("子女", "儿子", "女儿", "孩子", "闺女", "儿媳", "女婿"),
         "3": ("父母", "爸爸", "妈妈", "父亲", "母亲", "老爸", "老妈", "爸", "妈", "爹", "娘"),
         "4": ("监护人", "亲戚", "哥哥", "姐姐", "弟弟", "妹妹", "爷爷", "奶奶", "外公", "外婆", "孙子", "孙女",
               "外孙", "侄子", "侄女", "舅舅", "叔叔", "伯伯", "姑姑", "阿姨", "朋友", "邻居", "其他")}
# "帮我爸办": the disabled person is my father, so I am a child: the role is the mirror of the word.
MIRROR = {"1": "1", "2": "3", "3": "2", "4": "4"}
REQUEST_WORDS = ("怎么", "怎样", "如何", "多少", "什么", "哪里", "哪个", "能不能", "可不可以", "有没有", "吗", "呢",
                 "补贴", "残疾证", "残疾人证", "进度", "申请", "预约", "评残", "办证", "政策", "工作", "电话",
                 "地址", "菜单", "帮助", "注册", "绑定", "查询", "我要", "我想", "?", "？")


def command_elsewhere(ctx, own_module: str) -> bool:
    """“我能领什么”, “办证进度”, “菜单” typed mid-flow: another service's own command (an exact keyword or
    a prefix), not an answer to this step. Numbers, yes-words and town names always stay answers."""
    said = compact(ctx.text or "")
    if len(said) < 2 or said.isdigit() or is_yes(said) or match_town(ctx.settings.knowledge_dir, said):
        return False
    return any(m.how in ("keyword", "prefix") and fn.__module__ != own_module
               for fn, m in ctx.services.router.text_candidates(ctx.text))


def is_yes(text: str) -> bool:
    return compact(text) in YES_WORDS


def is_leaving(text: str) -> bool:
    return bool(LEAVING.match(compact(text)))


def looks_like_request(text: str) -> bool:
    """'护理补贴怎么申请' or '办证进度' typed where a name was asked: a request, not a name."""
    return any(word in text for word in REQUEST_WORDS)


def _role_in(text: str) -> str | None:
    found = [(len(w), key) for key, words in ROLES.items() for w in words if w in text]
    return max(found)[1] if found else None


def relation_said(text: str) -> str | None:
    """'self', or a family key 1–4, from a whole sentence; None when not understood."""
    word = compact(text)
    if re.search(r"(我自己|给自己|我本人|残疾人本人|就是我|是我本人)", word):
        return "self"
    said = re.search(r"我是(他|她|它|ta|TA)?(的)?(.*)", word)
    if said and _role_in(said.group(3)):
        return _role_in(said.group(3))
    helped = re.search(r"(帮|给|替|为)(我|我的|我们|我家)(.*)", word)
    if helped and _role_in(helped.group(3)):
        return MIRROR[_role_in(helped.group(3))]
    return None


def leave(ctx):
    """Out of the flow the way "取消" does it: the flow's own cancel words, then the main menu."""
    flow = active_flow(ctx)
    ctx.end_flow()
    text = flow.on_cancel if flow else "好的，已取消。"
    return Reply(text=text, meta={"then": "menu:MAIN"})  # the dispatcher adds the menu


def is_stuck(text: str) -> bool:
    return bool(STUCK.match(compact(text)))


def stuck(ctx) -> Reply:
    """Help from a person, and the step stays where it was: nothing typed so far is lost."""
    return Reply(text="没关系，可以请工作人员帮您办。\n" + ctx.local.way_out() + "\n"
                 "想自己接着填，直接回复刚才问的内容；不办了回复“取消”。")


def leavable(fn=None, *, free_text: bool = False):
    """A step where "我不注册了" / "不约了" leaves the flow and "这个我不会填" gets a person offered (the
    flow's declaration lists the wrapped step). free_text: a step whose answer is the resident's own
    sentence (a reason, an address), where only leaving is recognised."""
    def wrap(fn):
        @functools.wraps(fn)
        def step(ctx):
            said = ctx.text or ""
            if is_leaving(said):
                return leave(ctx)
            return stuck(ctx) if not free_text and is_stuck(said) else fn(ctx)
        return step
    return wrap(fn) if fn is not None else wrap
