"""Audit rows as sentences a clerk reads without help: "王芳 新建了预约 #12（鳌江镇 12月8日）".

Each action code has a template; `{name}` takes a value from the row's detail (or `id`, `target`,
`round`), rendered in Chinese (lists joined with 、, dates as 12月8日, codes as their labels). A part in
[brackets] is left out when a value inside it is empty, so None never shows. An unknown code (a new
feature's) still reads: "做了操作 xyz.abc".
"""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from bot.admin.models import ROLE_LABELS
from bot.booking.models import AssessmentRound
from bot.booking.staff import STATUS_LABELS
from bot.calendar_cn import CATEGORIES
from bot.calls.models import STATUS_LABELS as CALLS
from bot.db import LOCAL_TZ
from bot.jobs.validation import LABELS as JOB_FIELDS
from bot.safety.staff import CATEGORY_LABELS

ACTIONS = {
    "staff.login": "登录了后台", "staff.logout": "退出了登录",
    "staff.login_failed": "登录账号 {target} 没有成功（密码不对或没有这个账号）",
    "staff.login_refused": "登录账号 {target} 被拒绝[（{reason}）]",
    "staff.locked": "账号 {target} 输错密码太多次，暂时锁定[到 {until}]",
    "staff.create": "新建了账号 {target}[（{role}）]", "staff.password": "重设了账号 {target} 的密码",
    "staff.role": "把账号 {target} 的角色[从{before}]改成了{after}", "staff.enable": "启用了账号 {target}",
    "staff.disable": "停用了账号 {target}", "staff.unlock": "解锁了账号 {target}",
    "record.search": "查找了办证台账[（按{kind}查，找到 {found} 条）]", "record.view": "查看了办证记录 #{id}",
    "certs.import": "导入了办证台账 {target}：[新增 {inserted} 行，][更新 {updated} 行，][未变 {unchanged} 行，]"
                    "有错 {errors} 行[，排队通知 {notified} 条][，需电话通知 {calls} 人]",
    "certs.import.failed": "导入办证台账 {target} 中途出错[（出错前已新增 {inserted}、更新 {updated}）]",
    "registration.unbind": "解除了微信绑定[（{relation}）]", "registration.delete": "删除了自己的注册信息",
    "round.create": "新建了评残轮次 #{id}（{towns} {date}[，{capacity} 个名额][，{team}][，只评{categories}]）",
    "round.edit": "修改了评残轮次 #{id}：{changes}",
    "round.cancel": "取消了评残轮次 #{id}[（原因：{reason}）][，通知 {bookings} 位已预约的居民]",
    "booking.create": "新建了预约 #{id}[（{round}）]", "booking.cancel": "取消了预约 #{id}[（{round}）][，原因：{reason}]",
    "booking.reschedule": "把预约 #{id} 从{old}改到了{new}",
    "booking.mark": "把预约 #{id} 标为{after}[（原来是{before}）][，备注：{reason}]",
    "booking.mark_missed": "把过了日期还没登记的预约 {bookings} 标为未登记",
    "booking.list": "查看了{round}的预约名单[（{rows} 条）][，筛选：{filters}]",
    "booking.export": "导出了{round}的路线表[（{rows} 行）]", "booking.forget": "删除自己的信息，结束了 {ended} 个预约",
    "booking.same_person_refused": "想给已有预约 #{id} 的同一人再预约（用另一个微信号），已拒绝",
    "jobs.create": "新建了岗位“{title}”（编号 {job}）", "jobs.update": "修改了岗位 {job} 的{fields}",
    "jobs.withdraw": "撤下了岗位“{title}”（编号 {job}）",
    "jobs.import": "导入了岗位表 {target}：新增 {created}，更新 {updated}，有错 {errors} 行",
    "notice.create": "新建了通知 #{id}[（发给{audience}][，{status}][，{at} 发送][，紧急{urgent}]）",
    "notice.schedule": "安排通知 #{id} 在 {at} 发送[（紧急{urgent}）]", "notice.cancel": "取消了通知 #{id}",
    "kb.edit": "修改了知识库条目“{target}”[（说明：{note}）]", "kb.export": "把知识库导出到 knowledge/ 文件夹[（{files} 个文件）]",
    "facts.edit": "{filled}本地信息“{target}”", "call.phone_view": "查看了电话任务 #{id} 的完整电话号码",
    "call.close": "把电话任务 #{id} 记为{status}", "urgent.view": "查看了紧急求助 #{id}[（{phone_shown}）]",
    "urgent.handle": "处理了紧急求助 #{id}[（{category}）][：{note}]",
    "aids.station": "新建了共享辅具驿站 #{id}（{town} {name}）",
    "aids.stock": "把辅具库存 #{id} 设为{device} {count} 台[，最长借 {max_days} 天]",
    "aids.reserve": "预约借用辅具 #{id}[（{device}，借用码 {code}）]",
    "aids.cancel": "取消了辅具预约 #{id}[（{device}，借用码 {code}）]",
    "aids.expire": "辅具预约 #{id} 过期没取，自动取消[（{device}，借用码 {code}）]",
    "aids.picked_up": "登记辅具 #{id} 已取走[（{device}，借用码 {code}）]",
    "aids.returned": "登记辅具 #{id} 已归还[（{device}，借用码 {code}）]",
    "aids.damaged": "登记辅具 #{id} 已损坏[（{device}，借用码 {code}）]",
    "aids.extend": "续借了辅具 #{id}[（{device}，借用码 {code}，新的归还日期 {due}）]",
    "aids.export": "下载了辅具借用表[（{rows} 行）]",
    "aids.forget": "删除自己的信息，取消了 {ended} 个辅具预约[，还有 {still_lent} 件没归还]",
    "api.token_create": "新建了接口令牌“{name}”[（{read_only}）]", "api.token_revoke": "作废了接口令牌“{name}”",
}
FIELD_ZH = {"date": "日期", "towns": "乡镇", "capacity": "名额", "team": "评定组", "categories": "残疾类别",
            "window_start": "开始预约时间", "window_end": "截止预约时间", "cutoff_hours": "提前截止小时数",
            "note": "备注", "status": "状态", "town": "乡镇", "category": "残疾类别"}
WORDS = {"throttled": "错误太多，暂时封锁", "disabled": "账号已停用", "name": "姓名", "number": "证件号",
         "masked_number": "打码的证件号", "empty": "空白", "scheduled": "已安排", "draft": "草稿", "all": "全部关注者",
         "subscribers": "订阅岗位的居民", "registered": "已注册的居民"}
_PART = re.compile(r"\[([^\[\]]*)\]")
_FIELD = re.compile(r"\{(\w+)\}")


def _labels() -> dict:
    return {**WORDS, **ROLE_LABELS, **STATUS_LABELS, **CALLS, **CATEGORY_LABELS, **JOB_FIELDS, **FIELD_ZH}


def zh(value, labels: dict) -> str:
    """A stored value in plain Chinese: lists with 、, dates as 12月8日, True/False as words, None as ''."""
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(filter(None, (zh(v, labels) for v in value)))
    if isinstance(value, dict):
        return "，".join(f"{labels.get(k, k)} {zh(v, labels)}" for k, v in value.items() if zh(v, labels))
    text = str(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return f"{int(text[5:7])}月{int(text[8:10])}日"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*", text):
        try:
            at = dt.datetime.fromisoformat(text)
        except ValueError:
            return text
        at = (at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)).astimezone(LOCAL_TZ)
        return f"{at.month}月{at.day}日 {at:%H:%M}"
    return labels.get(text, text)


def who(actor: str, names: dict[str, str]) -> str:
    """The account's display name, or who an automatic actor is (居民, 系统, 命令行, 接口)."""
    kind, _, rest = (actor or "").partition(":")
    if kind == "resident" or actor == "resident":
        return "居民"
    if actor == "system":
        return "系统"
    if kind == "anon" and rest:
        return f"未登录的访客（{rest}）"
    if kind == "cli" and rest:
        return f"命令行（{rest}）"
    if kind == "api" and rest:
        return f"接口（{rest}）"
    return names.get(actor) or actor


def sentence(row, names: dict[str, str], rounds: dict[int, str], labels: dict | None = None) -> str:
    """The row's action as one sentence without its subject (the page shows who first)."""
    labels = labels or _labels()
    detail = dict(row.detail or {})
    target = row.target or ""
    ref = target.partition(":")[2]
    if row.action.startswith("round.") and detail.get("categories"):  # codes 1–7 as 肢体, 智力, …
        detail["categories"] = [CATEGORIES.get(c, c) for c in detail["categories"]]
    values = {k: zh(v, labels) for k, v in detail.items()}
    values.update(target=target, id=ref if ref.isdigit() else "", job=ref)
    round_id = detail.get("round") or (int(ref) if target.startswith("round:") and ref.isdigit() else None)
    values["round"] = rounds.get(round_id, f"轮次 #{round_id}" if round_id else "")
    values["old"], values["new"] = (rounds.get(detail.get(k), f"轮次 #{detail.get(k)}") for k in ("old", "new"))
    if row.action == "notice.create" or row.action == "notice.schedule":
        values["urgent"] = "（不受夜间限制）" if detail.get("urgent") else ""
        values["audience"] = _audience(detail.get("audience"), labels)
    if row.action == "facts.edit":
        values["filled"] = "填写了" if detail.get("filled") else "清空了"
    if row.action == "urgent.view":
        values["phone_shown"] = "显示了完整电话" if detail.get("phone_shown") else ""
    if row.action == "api.token_create":
        values["read_only"] = "只读" if detail.get("read_only") else ""
    if row.action == "round.edit":
        before, after = detail.get("before") or {}, detail.get("after") or {}
        values["changes"] = "；".join(f"{labels.get(k, k)}从 {zh(before.get(k), labels) or '空'} 改成 "
                                     f"{zh(v, labels) or '空'}" for k, v in after.items()) or "没有改动"
    template = ACTIONS.get(row.action)
    if template is None:
        extra = "，".join(f"{labels.get(k, k)} {v}" for k, v in values.items() if k in detail and v)
        return f"做了操作 {row.action}" + (f" {target}" if target else "") + (f"（{extra}）" if extra else "")
    text = _PART.sub(lambda m: _fill(m.group(1), values) if _complete(m.group(1), values) else "", template)
    return _fill(text, values)


def _audience(value, labels: dict) -> str:
    if not value:
        return ""
    if str(value).startswith("round:"):
        return f"评残轮次 #{str(value)[6:]} 的预约居民"
    return labels.get(value, value)


def _complete(part: str, values: dict) -> bool:
    return all(values.get(name) not in (None, "", "0") for name in _FIELD.findall(part))  # 0 reads as nothing


def _fill(text: str, values: dict) -> str:
    return _FIELD.sub(lambda m: str(values.get(m.group(1)) or ""), text)


def round_names(session, ids) -> dict[int, str]:
    """'鳌江镇、昆阳镇 12月8日' for each round id (one query for the page)."""

    ids = {i for i in ids if isinstance(i, int)}
    if not ids:
        return {}
    rows = session.scalars(select(AssessmentRound).where(AssessmentRound.id.in_(ids)))
    return {r.id: f"{'、'.join(r.towns or [])} {r.date.month}月{r.date.day}日" for r in rows}


def referenced_rounds(rows) -> set[int]:
    found = set()
    for row in rows:
        detail = row.detail or {}
        found |= {detail.get(k) for k in ("round", "old", "new") if isinstance(detail.get(k), int)}
        if (row.target or "").startswith("round:") and row.target[6:].isdigit():
            found.add(int(row.target[6:]))
    return found


_SHORT = {"booking.mark": "登记上门结果", "booking.reschedule": "改约", "booking.mark_missed": "自动标记未登记",
          "call.close": "记录电话结果", "staff.role": "改角色", "staff.login_failed": "登录失败",
          "staff.login_refused": "登录被拒绝", "staff.locked": "账号锁定", "facts.edit": "改本地信息"}


def action_name(code: str) -> str:
    """A short name for the filter list: '新建了预约' for booking.create."""
    if code in _SHORT:
        return _SHORT[code]
    template = ACTIONS.get(code)
    return re.split(r"[\[{（：“#]", template)[0].strip() if template else code
