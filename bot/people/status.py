"""Plain-words certificate progress: what step, since when, what comes next, how long it takes.

Durations are the national rules (policy-facts T01: 公示 5 个工作日, 审核 10 个工作日); other steps have no
fixed time, so the wording promises none. Estimated dates skip weekends only, hence "前后".
"""
from __future__ import annotations

import datetime as dt

from bot.privacy.pii import decrypt, mask_id

BUSINESS_WORDS = {
    "新办": "第一次申请残疾人证（新办）", "换领": "证件到期换新证（换领）", "补办": "证件丢失或损坏补办（补办）",
    "迁移": "户口迁移后转证（迁移）", "注销": "注销残疾人证", "变更": "变更残疾类别或等级（变更）",
}
STEP_WORDS = {
    "受理": "申请材料已经收下（受理）", "评定": "正在做残疾评定", "公示": "评定结果正在村（社区）公示",
    "审核": "县残联正在审核", "制证": "审核通过，正在制作证件", "待领取": "证件已经做好，可以领取了",
    "已发证": "证件已经发放", "退回": "申请被退回了",
}
NEXT_WORDS = {
    "受理": "下一步：残疾评定。县残联会通知您去指定医院评定，或安排上门评定。",
    "评定": "下一步：评定结论出来后，在您所在村（社区）公示 5 个工作日。",
    "公示": "下一步：公示一般 5 个工作日，没有异议就由县残联审核（一般 10 个工作日内）。",
    "审核": "下一步：审核一般 10 个工作日内完成，通过后制作证件。",
    "制证": "下一步：证件做好后会通知您领取。",
    "待领取": "请带上本人身份证去领取；领取地点和时间请先打电话确认。",
}
WORKDAYS = {"公示": 5, "审核": 10}
RENEW_WINDOW_DAYS = 90


def cn_date(day: dt.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else "日期未登记"


def add_workdays(start: dt.date, days: int) -> dt.date:
    day = start
    while days > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def step_lines(record, local) -> list[str]:
    """The business, the current step with its date, and what comes next (or what to do)."""
    lines = [f"办理事项：{BUSINESS_WORDS.get(record.business_type, record.business_type)}"]
    if record.business_type == "注销" and record.step == "已发证":
        lines.append(f"当前进度：注销已经办好（{cn_date(record.step_date)}）")
        return lines
    lines.append(f"当前进度：{STEP_WORDS.get(record.step, record.step)}")
    lines.append(f"从 {cn_date(record.step_date)} 开始" if record.step_date else "开始日期：未登记")
    if record.step in WORKDAYS and record.step_date:
        end = add_workdays(record.step_date, WORKDAYS[record.step])
        lines.append(f"一般 {WORKDAYS[record.step]} 个工作日，预计 {end.month}月{end.day}日前后结束（节假日顺延）。")
    if record.step == "退回":
        lines.append(f"退回原因：{record.return_reason or '没有写明，请打电话问一下'}")
        lines.append("请按原因补齐或改正材料后，再交给受理窗口。不清楚怎么改，请打电话问。")
        lines.append(f"县残联电话：{local.get('county.clf_phone')}")
    elif record.step in NEXT_WORDS:
        lines.append(NEXT_WORDS[record.step])
    return lines


def certificate_lines(records, data_key: str, today: dt.date) -> list[str]:
    """Masked certificate number, expiry and a renewal hint, from the newest record that has them."""
    lines = []
    cert = next((decrypt(data_key, r.cert_enc) for r in records if r.cert_enc), None)
    if cert:
        lines.append(f"残疾人证号：{mask_id(cert)}")
    issued = next((r.issued_on for r in records if r.issued_on), None)
    if issued:
        lines.append(f"发证日期：{cn_date(issued)}")
    expiry = next((r.valid_until for r in records if r.valid_until), None)
    if expiry:
        lines.append(f"有效期到：{cn_date(expiry)}")
        left = (expiry - today).days
        renewing = any(r.business_type == "换领" and r.step != "已发证" for r in records)
        if left < 0 and not renewing:
            lines.append("提醒：证件已经过期，请尽快办理换领（免费）。回复“换证”了解怎么办。")
        elif left <= RENEW_WINDOW_DAYS and not renewing:
            lines.append(f"提醒：证件还有 {left} 天到期，请及时办理换领（免费）。回复“换证”了解怎么办。")
    return lines


def newest_first(records) -> list:
    """Open applications first, then by step date: the resident wants the one still moving."""
    far = dt.date.min
    return sorted(records, key=lambda r: (r.step == "已发证", -(r.step_date or far).toordinal(),
                                          -r.id))


def progress_text(records, name_masked: str, data_key: str, local, today: dt.date) -> str:
    ordered = newest_first(records)
    lines = [f"{name_masked}的残疾人证办理情况："]
    lines += step_lines(ordered[0], local)
    for older in ordered[1:3]:
        lines.append(f"另有一条记录：{older.business_type}，{older.step}（{cn_date(older.step_date)}）")
    by_issue = sorted(records, key=lambda r: (r.issued_on or r.step_date or dt.date.min), reverse=True)
    lines += certificate_lines(by_issue, data_key, today)
    lines.append("有疑问请" + local.way_out())
    return "\n".join(lines)


def notice_text(record, name_masked: str, local) -> tuple[str, dict]:
    """The message sent when an import moves a resident's application to a new step."""
    lines = [f"您好，{name_masked}的残疾人证办理有新进展：", *step_lines(record, local)[:3]]
    if record.step == "退回":
        lines.append(f"退回原因：{record.return_reason or '没有写明，请打电话问一下'}")
    lines.append("回复“办证进度”查看详情。")
    # bot.outbox.notify's cert_status template: item, status, updated, note (template fields are short).
    note = record.return_reason if record.step == "退回" else NEXT_WORDS.get(record.step, "")
    fields = {"item": f"{name_masked} 残疾人证{record.business_type}", "status": record.step,
              "updated": cn_date(record.step_date) if record.step_date else "",
              "note": (note or "回复“办证进度”查看详情")[:20]}
    return "\n".join(lines), fields
