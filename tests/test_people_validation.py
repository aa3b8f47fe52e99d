"""ID and certificate numbers (GB 11643, 残疾人证号), dates in staff's many spellings, phones, names."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.people.validation import (Invalid, NotGenuine, parse_code, parse_date, parse_identity, parse_name,
                                   parse_phones, same_name, CATEGORIES, GRADES)
from tests.test_people_helpers import make_id, make_x_id, wrong_check


def test_id_and_certificate_numbers():
    id18 = make_id()
    assert parse_identity(id18) == (id18, None)
    assert parse_identity(f" {id18[:6]} {id18[6:14]} {id18[14:]} ") == (id18, None)  # typed in groups
    assert parse_identity(id18 + "42") == (id18, id18 + "42")
    assert parse_identity(id18 + "42b") == (id18, id18 + "42B")
    assert parse_identity(id18 + "42B2") == (id18, id18 + "42B2")
    full_width = id18.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert parse_identity(full_width)[0] == id18


@pytest.mark.parametrize("bad, genuine_problem", [
    (wrong_check(make_id()), True),
    (make_id() + "82", True),  # category 8 does not exist
    (make_id() + "45", True),  # grade 5 does not exist
    (make_id(born="19801301")[:17] + "0", True),
    (make_id()[:15], False),
    (make_id()[:17], False),
    ("abc", False),
    (make_id() + "42C", False),
])
def test_bad_numbers_are_refused_with_a_reason(bad, genuine_problem):
    with pytest.raises(Invalid) as caught:
        parse_identity(bad)
    assert isinstance(caught.value, NotGenuine) == genuine_problem
    assert str(caught.value)


def test_excel_number_cells_are_reported_never_repaired():
    lost = float(make_id())  # what Excel keeps of an 18-digit number
    with pytest.raises(Invalid, match="数字格式"):
        parse_identity(lost)
    with pytest.raises(Invalid, match="X"):
        parse_identity(int(make_x_id()[:17]))  # the X fell off
    with pytest.raises(Invalid, match="科学计数法"):
        parse_identity("3.30326E+17")


def test_dates_in_staff_spellings():
    want = dt.date(2026, 5, 6)
    for value in ["2026-05-06", "2026/5/6", "2026.5.6", "2026年5月6日", "20260506", "2026-05-06 00:00:00",
                  dt.datetime(2026, 5, 6, 0, 0), want, 46148, 46148.0, "46148"]:
        assert parse_date(value) == want, value
    assert parse_date(None) is None and parse_date("  ") is None
    for bad in ["05/06/2026", "2026-02-30", "明年", "2026年5月"]:
        with pytest.raises(Invalid):
            parse_date(bad)


def test_codes_phones_names():
    assert parse_code("4", CATEGORIES, "类别") == 4 and parse_code("肢体残疾", CATEGORIES, "类别") == 4
    assert parse_code(2.0, GRADES, "等级") == 2 and parse_code("二级", GRADES, "等级") == 2
    assert parse_code("", GRADES, "等级") is None
    with pytest.raises(Invalid):
        parse_code("8", CATEGORIES, "类别")
    assert parse_phones("138 1234 5678") == "13812345678"
    assert parse_phones(13812345678) == "13812345678"
    assert parse_phones("0577-63123456；13912345678") == "057763123456,13912345678"
    with pytest.raises(Invalid, match="0"):
        parse_phones(57763123456)  # a landline whose leading 0 Excel dropped
    assert parse_name("我叫 张 三。") == "张三"
    with pytest.raises(Invalid):
        parse_name("张3")
    assert same_name("阿依古丽·买买提", "阿依古丽买买提") and same_name("張三", "张三")
    assert not same_name("张三", "张四")
