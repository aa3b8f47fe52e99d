"""The demo `make run` seeds: once, only into an empty demo database, and what it prints works."""
from __future__ import annotations

from sqlalchemy import func, select

from bot.admin import accounts
from bot.booking.models import AssessmentRound, Booking
from bot.devtools.demo_samples import PEOPLE, is_sample
from bot.devtools.demo_seed import LOGIN, PASSWORD, banner, first_person, seed_demo
from bot.jobs.models import JobPosting
from bot.models import AuditLog
from bot.outbox.models import Notice
from bot.people.models import CertRecord
from bot.people.validation import parse_identity


def _counts(services) -> dict:
    with services.sessions() as s:
        return {m.__name__: s.scalar(select(func.count()).select_from(m))
                for m in (CertRecord, AssessmentRound, JobPosting, Notice, AuditLog)}


def test_seeding_fills_an_empty_demo_database_once(services):
    first = seed_demo(services.settings, services.sessions)
    assert first.status == "seeded" and first.people == len(PEOPLE) and first.rounds == 2 and first.jobs == 5
    after = _counts(services)
    assert after["CertRecord"] == len(PEOPLE) and after["Notice"] == 1
    again = seed_demo(services.settings, services.sessions)
    assert again.status == "present" and _counts(services) == after  # nothing added, not even an audit row
    with services.sessions() as s:
        steps = {r.step: r.return_reason for r in s.scalars(select(CertRecord))}
        staff, why = accounts.authenticate(s, LOGIN, PASSWORD)
        notice = s.scalar(select(Notice))
    assert {"审核", "制证", "待领取", "退回"} <= set(steps) and steps["退回"]
    assert staff is not None, why
    assert notice.status == "scheduled"
    text = banner(again, "http://127.0.0.1:8000")
    assert LOGIN in text and PASSWORD in text and "预约评残" in text and "找工作" in text


def test_a_database_with_content_or_outside_demo_mode_is_left_alone(services):
    with services.sessions.begin() as s:
        accounts.create(s, "wang", "a-long-secret-9", "admin", "test")
    before = _counts(services)
    assert seed_demo(services.settings, services.sessions).status == "skipped"
    assert _counts(services) == before
    assert "没有写入" in banner(seed_demo(services.settings, services.sessions), "http://x")


def test_outside_demo_mode_nothing_is_seeded(services):
    assert seed_demo(services.settings.with_(demo=False), services.sessions).status == "skipped"
    assert _counts(services)["CertRecord"] == 0 and _counts(services)["AuditLog"] == 0


def test_the_sample_people_are_fictional_but_pass_the_real_checks():
    for name, born, seq, *_ in PEOPLE:
        from bot.devtools.demo_samples import sample_id
        number = sample_id(born, seq)
        assert parse_identity(number)[0] == number  # GB 11643 check digit and birth date are right
        assert number.startswith("330399") and is_sample(number)
    assert not is_sample("330326198001010012")


def test_registering_as_the_printed_person_links_the_seeded_record_and_books_a_visit(chat, services):
    seed_demo(services.settings, services.sessions)
    p = first_person()
    chat("注册")
    for said in ("1", p["name"], p["id_number"], p["phone"]):
        chat(said)
    done = chat(p["town"][:2])
    assert "注册成功" in done.text and "核对一致" in done.text
    assert "审核" in chat("办证进度").text
    assert "为什么需要上门" in chat("预约评残").text
    for said in ("1", "4", "鳌江镇示例村 1 号"):
        chat(said)
    dates = chat("1")
    assert "可以预约的日期" in dates.text
    chat("1")
    assert "预约" in chat("确认").text
    with services.sessions() as s:
        booking = s.scalar(select(Booking))
        assert booking is not None and booking.status == "booked"
        assert s.get(AssessmentRound, booking.round_id).towns[0] == p["town"]
    assert "包装工" in chat("找工作").text  # the seeded postings are live for residents


def test_the_console_marks_the_seeded_people_as_samples(app):
    from tests.support.console import Console, csrf_token
    services = app.extensions["wxbot"]
    seed_demo(services.settings, services.sessions)
    console = Console(app.test_client())
    assert console.login(LOGIN, PASSWORD).status_code == 302
    page = console.get("/admin/people").text
    assert "林晓梅" in page  # the hint tells a newcomer whom to look for
    found = console.client.post("/admin/people", data={"csrf_token": csrf_token(page), "q": "张伟"}).text
    assert "示例" in found and "张*" in found


def test_the_demo_lends_a_wheelchair(services, chat):
    """The start-up text says “借轮椅”: the seeded station has one to lend to the registered sample person."""
    seed_demo(services.settings, services.sessions)
    p = first_person()
    for said in ("注册", "1", p["name"], p["id_number"], p["phone"], p["town"][:2]):
        chat(said)
    assert "可以借轮椅的驿站" in chat("借轮椅").text
