"""The one scrubber: every ID, certificate, mobile or card number goes, in any script; short numbers stay."""
from __future__ import annotations

import logging

import pytest

from bot.privacy.pii import install_log_scrubbing, scrub, scrub_all

ID18 = "330326199001011234"
PHONE = "13867891234"

MASKED = [  # (said, what must not survive, what is shown instead)
    (f"我的身份证是{ID18}", ID18, "3303**********1234"),
    ("身份证33032619900101123X", "33032619900101123", "3303**********123X"),
    ("33032619900101123x", "33032619900101123", "3303**********123X"),
    (f"残疾证{ID18}42", ID18, "3303************3442"),
    ("残疾证33032619900101123X42B2", "33032619900101123", "3303**************42B2"),
    (f"补发的{ID18}41B", ID18, "3303"),
    ("老身份证330326900101123", "330326900101123", "3303*******1123"),
    (f"电话{PHONE}", PHONE, "138****1234"),
    ("电话 138 6789 1234", "6789", "138****1234"),
    ("138-6789-1234", "6789", "138****1234"),
    ("１３８６７８９１２３４", "６７８９", "138****1234"),
    ("我的电话是一三八六七八九一二三四", "六七八九", "138****1234"),
    ("幺三八六七八九幺二三四", "六七八九", "138****1234"),
    ("幺三八，六七八九，幺二三四", "六七八九", "138****1234"),
    ("电话是 一三八 六七八九 一二三四 谢谢", "六七八九", "138****1234"),
    ("身份证三三零三二六一九九零零一零一一二三四", "一九九零零一零一", "3303**********1234"),
    ("三三零三二六一九九零零一零一一二三叉", "一九九零零一零一", "3303**********123X"),
    ("三三〇三二六一九九〇〇一〇一一二三四", "一九九〇〇一〇一", "3303**********1234"),
    ("壹叁捌陆柒捌玖壹贰叁肆", "陆柒捌玖", "138****1234"),
    ("3303 2619 9001 0112 34", "9001", "3303**********1234"),
    ("33032６一九九〇0101一234", "0101", "3303**********1234"),
    ("银行卡6222021234567890123", "02123456789", "6222***********0123"),
    ("卡号 6222 0212 3456 7890", "3456", "6222********7890"),
    (f"{PHONE}和{ID18}", PHONE, "138****1234"),
    ("家里电话 0577-63712345", "63712345", "0577****2345"),  # a home landline with its area code
]

KEPT = [  # ordinary numbers residents write
    "回复 1", "2", "3", "1 2 3", "2024年3月", "二〇二四年三月五日", "2024-03-05", "补贴每月1200元", "三级",
    "一二级", "一二三四级都可以吗", "63712345", "12345678", "2024年3月5日到2024年4月",
    "身份证后四位1234", "我家3口人，2个孩子", "一千二百元", "一年两次", "第一二三条", "", "138****1234",
    "3303**********1234", "1.5万", "100,000元", "四级肢体残疾",
]


@pytest.mark.parametrize("said,secret,shown", MASKED)
def test_long_numbers_are_masked_in_any_script(said, secret, shown):
    out = scrub(said)
    assert secret not in out and shown in out
    assert scrub(out) == out  # idempotent: a masked text stays as it is


@pytest.mark.parametrize("said", KEPT)
def test_ordinary_numbers_stay_as_written(said):
    assert scrub(said) == said


def test_the_words_around_a_number_stay():
    assert scrub(f"我叫张三，电话{PHONE}，住鳌江") == "我叫张三，电话138****1234，住鳌江"


def test_a_lower_threshold_masks_landlines_in_a_step_that_asks_for_a_number():
    assert scrub("63712345") == "63712345"
    assert scrub("63712345", min_run=7) == "********"
    assert scrub("电话 6371 2345 谢谢", min_run=7) == "电话 ******** 谢谢"


def test_every_string_inside_json_is_scrubbed():
    detail = {"q": f"电话{PHONE}", "normalized": "电话 13867891234", "score": 0.4,
              "candidates": [{"id": "x", "matched": "幺三八六七八九幺二三四"}], "vague": True}
    out = scrub_all(detail)
    assert PHONE not in str(out) and "六七八九" not in str(out)
    assert out["score"] == 0.4 and out["vague"] is True and out["candidates"][0]["id"] == "x"


def test_log_records_are_scrubbed_whatever_the_handler(caplog):
    install_log_scrubbing()
    install_log_scrubbing()  # idempotent
    log = logging.getLogger("test.scrub")
    with caplog.at_level(logging.INFO):
        log.info("resident said %s", f"身份证{ID18}")
        try:
            raise ValueError(f"bad phone {PHONE}")
        except ValueError:
            log.exception("failed for 一三八六七八九一二三四")
    text = caplog.text
    assert ID18 not in text and PHONE not in text and "六七八九" not in text
    assert "3303**********1234" in text and "138****1234" in text and "ValueError" in text
