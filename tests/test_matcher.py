"""The matcher as a resident would notice it: typos, voice homophones, scripts, fillers, scope."""
from __future__ import annotations

import shutil
from types import SimpleNamespace

import pytest
import yaml

from bot.answers import kb_lint, knowledge
from bot.answers.matcher.index import SparseIndex
from bot.answers.matcher.text import Normalizer
from bot.config import ROOT, Settings
from tests.support.matcher import answered

KNOWLEDGE = ROOT / "knowledge"


@pytest.fixture(scope="module")
def norm(bundle):
    return bundle.matcher.normalizer


# ---- normalisation ----------------------------------------------------------------------------

def test_traditional_fullwidth_emoji_and_emoticons_are_folded(norm):
    assert norm.text("殘疾證") == norm.text("残疾证")
    assert norm.text("１２３８５") == "12385"
    assert norm.text("残疾证😀[微笑]怎么办/::)") == norm.text("残疾证怎么办")


def test_fillers_and_dialect_words_are_dropped_or_mapped(norm):
    assert norm.text("请问，我想问一下那个残疾证咋办啊？") == norm.text("残疾证怎么办")
    assert norm.text("你好") == "你好"  # a greeting alone is kept, not stripped to nothing


def test_synonyms_map_everyday_names_to_one_word(norm):
    assert norm.text("残废证") == norm.text("残疾人证") == "残疾证"
    assert norm.text("两补") == "两项补贴"
    assert norm.text("自闭症") == "孤独症"
    # a canonical word containing a shorter variant is kept whole
    assert norm.text("危房改造") == norm.text("危房") == "危房改造"


@pytest.mark.parametrize("heard, meant", [
    ("评惨要带什么", "评残要带什么"), ("父具适配", "辅助器具适配"), ("残疾人一保", "残疾人医保"),
    ("人工耳锅", "人工耳蜗"), ("轮以坏了", "轮椅坏了"), ("为房改造", "危房改造"), ("做康付", "做康复"),
    ("残即证到期了", "残疾证到期了"), ("残级证丢了", "残疾证丢了"),
])
def test_dictated_homophones_become_the_word_meant(norm, heard, meant):
    assert norm.text(heard) == meant


def test_homophone_fixes_leave_ordinary_words_alone(norm):
    # only whole dictated words are replaced: "因为房子" must not turn into 危房
    assert norm.text("因为房子漏水") == "因为房子漏水"


def test_phone_number_read_out_in_chinese_digits(norm):
    assert norm.text("幺二三八五") == "12385"


def test_town_names_do_not_steer_the_topic(norm):
    assert norm.text("鳌江有没有残疾人之家") == norm.text("麻步有没有残疾人之家")


def test_homophones_share_pinyin(norm):
    assert norm.analyse("残积证").pinyin == norm.analyse("残疾证").pinyin
    assert norm.analyse("平残").pinyin == norm.analyse("评残").pinyin


# ---- answers a resident would notice --------------------------------------------------------------

@pytest.mark.parametrize("question, topic", [
    ("我想问一下那个殘疾證丟了咋補辦😭[流泪]", "cert.renew"),  # fillers, traditional, emoji, dialect
    ("殘疾人護理補貼要幾級才能領", "subsidy.care"),  # traditional script
    ("护理不贴要几级残疾才给", "subsidy.care"),  # voice homophone 不贴/补贴
    ("家里老人想申请个论椅", "aids.fitting"),  # 论椅/轮椅
    ("１２３８５这个号码是干什么的", "rights.complaint"),  # full-width digits
])
def test_typos_voice_and_scripts_still_get_the_answer(match, question, topic):
    result = match(question)
    assert answered(result) == topic, result.explain()


def test_homophone_in_the_certificate_name_finds_the_certificate_topic(match):
    result = match("残积证怎么申请")
    assert result.top.entry_id == "cert.apply", result.explain()


def test_long_rambling_message_is_still_understood(match):
    question = ("你好，我是鳌江镇的，我家老头子前年中风了，现在瘫在床上起不来，"
                "听村里人说残联可以派人上门来评残，想问问这个要怎么预约啊，麻烦了谢谢")
    result = match(question)
    assert answered(result) == "assess.home", result.explain()


@pytest.mark.parametrize("question", ["明天平阳会不会下雨", "帮我点个外卖", "手机屏幕碎了去哪修", "狗走丢了怎么办",
                                      "今天天气怎么样"])
def test_out_of_scope_questions_get_no_confident_answer(match, question):
    assert match(question).decision != "answer"


@pytest.mark.parametrize("question, referral", [
    ("身份证丢了怎么补办", "ref.id_card"),
    ("驾驶证到期了去哪里换", "ref.driving"),
    ("社保卡密码忘了怎么办", "ref.social_card"),
    ("结婚证丢了", "ref.marriage"),
    ("残疾军人证遗失了去哪补", "ref.veterans"),
    ("出了车祸要做伤残等级鉴定", "ref.injury_appraisal"),
    ("长护险在哪里申请", "ref.ltc_insurance"),
    ("居住证要续签了找谁", "ref.residence_permit"),
    ("家里困难 想给残疾的儿子申请低保 找谁", "ref.dibao"),  # 低保 is 民政's, not a disability subsidy
    ("我们村有个五保户 特困供养归哪里管", "ref.dibao"),
    ("孩子明年上小学 报名去哪里", "ref.school"),
    ("八十多岁老人的高龄补贴怎么领", "ref.elderly"),
    ("医保卡丢了去哪补", "ref.social_card"),
    ("护照丢了怎么补办", "ref.other_papers"),  # any other certificate lost is not 残疾证补办
    ("行驶证过期了找谁", "ref.other_papers"),
    ("退休证丢了怎么办", "ref.pension_draw"),
    # a death in the family: the funeral money is 民政's or the employer's, only the certificate is ours
    ("我爸过世了 丧葬补助金去哪里领", "ref.funeral"),
    ("殡葬补贴找哪个部门", "ref.funeral"),
    ("独生子女的奖励扶助金在哪里申请", "ref.family_planning"),
    ("计生特别扶助找谁", "ref.family_planning"),
    ("想租政府的公租房 去哪里报名", "ref.public_housing"),
    ("被公司辞退了 失业保险金怎么领", "ref.unemployment"),
])
def test_other_offices_questions_are_referred_not_as_disability_certificate(match, question, referral):
    result = match(question)
    assert answered(result) == referral, result.explain()
    assert result.top.kind == "referral"


def test_a_death_with_the_certificate_named_is_still_the_cancellation(match):
    result = match("我爸过世了 他的残疾证要交到哪里")
    assert answered(result) == "cert.cancel", result.explain()


@pytest.mark.parametrize("question, topic", [
    ("喂 在伐", "chat.greeting"),  # Wu dialect: 伐 is 吗
    ("有没有人呀", "chat.greeting"),
    ("你讲的看不懂 简单点说", "chat.praise_complain"),
    ("跟我聊天的是机器还是人", "chat.who"),
    # round 4: internet goodbyes, "are you a human agent", praise (not an apology)
    ("好嘞 886", "chat.bye"),
    ("你是不是人工啊", "chat.who"),
    ("你们服务真好 点赞", "chat.praise_complain"),
])
def test_small_talk_in_dialect_and_plain_words_is_understood(match, question, topic):
    result = match(question)
    assert answered(result) == topic, result.explain()


def test_place_words_do_not_outweigh_the_topic(match):
    # city names read as 外地, which 跨省通办 is about; here they only say where the family lives
    result = match("户口在平阳 人在杭州 孩子在杭州做康复训练 有补助吗")
    assert answered(result) == "rehab.children", result.explain()
    assert answered(match("我在上海上班 户口在平阳 残疾证能在上海补办吗")) == "cert.cross_region"


def test_another_offices_certificate_must_be_named(match):
    # "第一次来办证" reads like "小孩第一次办身份证", but names no 身份证: it is our own certificate
    result = match("小孩刚满三岁 第一次来办证")
    assert result.top.entry_id != "ref.id_card", result.explain()
    assert "cert.apply" in [c.entry_id for c in result.offered], result.explain()


def test_disability_certificate_is_not_sent_to_the_police(match):
    result = match("残疾证丢了怎么补办")
    assert answered(result) == "cert.renew", result.explain()


def test_a_bare_word_is_never_answered_with_confidence(match):
    for word in ("残疾人", "残疾证", "补贴"):
        result = match(word)
        assert result.decision == "suggest" and result.vague, result.explain()
        ids = [c.entry_id for c in result.offered]
        assert 1 <= len(ids) <= 3 and len(set(ids)) == len(ids)
        assert all(c.kind != "smalltalk" for c in result.offered)
    assert match("早上好").decision == "answer"  # short small talk is fine


def test_result_explains_itself(match):
    explain = match("残疾证到期了怎么换").explain()
    assert explain["decision"] == "answer"
    assert explain["matched"]  # the closest sample question
    assert {"cos_q", "cover", "fuzz", "kw"} <= set(explain["components"])
    assert explain["candidates"][0]["id"] == "cert.renew"


def test_same_question_same_result(match):
    a, b = match("护理补贴多少钱一个月"), match("护理补贴多少钱一个月")
    assert a.explain() == b.explain()


# ---- index ----------------------------------------------------------------------------------------

def test_index_reads_rare_terms_first_and_scores_exactly():
    docs = [{"c:common": 1, f"c:other{i}": 1} for i in range(500)] + [{"c:common": 1, "c:rare": 1}]
    index = SparseIndex.build(docs)
    query = index.weigh({"c:common": 1, "c:rare": 1})
    top = index.search(query, 3, budget=50)  # "common" has 501 postings: only its best are read
    assert top[0][0] == 500
    assert top[0][1] == pytest.approx(index.dot(query, 500))


def test_unknown_words_count_against_the_match():
    index = SparseIndex.build([{"c:a": 1}, {"c:b": 1}])
    assert index.dot(index.weigh({"c:a": 1}), 0) > index.dot(index.weigh({"c:a": 1, "c:zzz": 1}), 0)


# ---- loading and hot reload -----------------------------------------------------------------------

def _services(path):
    settings = Settings(knowledge_dir=str(path))

    def mtime():
        from bot.engine.services import Services
        return Services.knowledge_mtime(SimpleNamespace(settings=settings))
    return SimpleNamespace(settings=settings, knowledge_mtime=mtime)


def test_edit_in_knowledge_is_seen_without_restart(tmp_path, monkeypatch):
    copy = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, copy)
    monkeypatch.setattr(knowledge, "RELOAD_CHECK_SECONDS", 0.0)
    services = _services(copy)
    question = "导盲犬可以去哪里申请"
    before = knowledge.bundle(services)
    assert answered(before.matcher.match(question)) is None
    new = {"id": "life.guide_dog", "kind": "answer", "title": "导盲犬申请",
           "questions": ["导盲犬怎么申请", "盲人想要一只导盲犬", "申请导盲犬要什么条件"],
           "keywords": ["导盲犬"], "answer": "导盲犬的申请，请咨询县残联。", "source": "测试", "updated": "2026-11-28"}
    (copy / "entries" / "life.guide_dog.yaml").write_text(yaml.safe_dump(new, allow_unicode=True), "utf-8")
    renew = copy / "entries" / "cert.renew.yaml"
    data = yaml.safe_load(renew.read_text("utf-8"))
    data["answer"] = "换证的说明已经更新。"
    renew.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    after = knowledge.bundle(services)
    assert after is not before
    assert answered(after.matcher.match(question)) == "life.guide_dog"
    assert after.kb.get("cert.renew").answer == "换证的说明已经更新。"


def test_broken_entry_file_keeps_its_last_good_version(tmp_path, monkeypatch):
    copy = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, copy)
    monkeypatch.setattr(knowledge, "RELOAD_CHECK_SECONDS", 0.0)
    services = _services(copy)
    assert "cert.renew" in knowledge.bundle(services).kb.entries
    (copy / "entries" / "cert.renew.yaml").write_text("id: cert.renew\nquestions: [unclosed\n", "utf-8")
    fresh = knowledge.bundle(services)
    assert "cert.renew" in fresh.kb.entries
    assert any("cert.renew.yaml" in p for p in fresh.kb.problems)


def test_broken_synonyms_file_keeps_the_previous_version(tmp_path, monkeypatch):
    copy = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, copy)
    monkeypatch.setattr(knowledge, "RELOAD_CHECK_SECONDS", 0.0)
    services = _services(copy)
    before = knowledge.bundle(services)
    (copy / "synonyms.yaml").write_text("synonyms: [unclosed\n", "utf-8")
    assert knowledge.bundle(services) is before
    errors, _notes = kb_lint.check(copy)
    assert any(e.startswith("synonyms.yaml") for e in errors)


def test_kb_check_reports_problems(tmp_path):
    copy = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, copy)
    path = copy / "entries" / "home.center.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["answer"] = "地址：{{no.such.fact}}\n" + "很长的答复。" * 120
    del data["source"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    local = yaml.safe_load((copy / "local.yaml").read_text("utf-8"))
    local["county.clf_phone"]["value"] = None  # not known yet: a note, not an error
    local["county.office_hours"]["value"] = "周一至周五 8:30—17:00"
    (copy / "local.yaml").write_text(yaml.safe_dump(local, allow_unicode=True), "utf-8")
    errors, notes = kb_lint.check(copy)
    text = "\n".join(errors)
    assert "no.such.fact" in text and "chars after rendering" in text and "no source" in text
    errors, _ = kb_lint.check(copy, near=0.5)
    assert any(e.startswith("too close") for e in errors)
    assert any("not filled" in n and "county.clf_phone" in n for n in notes)
    assert not any("county.office_hours" in n for n in notes)


def test_normalizer_without_synonyms_file(tmp_path):
    assert Normalizer.load(tmp_path).text("残疾证") == "残疾证"


def test_search_finds_the_same_samples_with_and_without_numpy(bundle):
    # The lexical matcher must work where numpy is not installed: both searches return the same.
    index = bundle.matcher.doc_index
    if not index.arrays:
        pytest.skip("numpy not installed: only the plain search exists")
    plain = SparseIndex(index.vectors, index.idf, index.postings, index.family_weight, index.n_docs, index.damp)
    for question in ("残疾证怎么办理", "轮椅可以免费借吗", "我儿子智力残疾能领什么补贴", "护理不贴多少钱"):
        query = index.weigh(bundle.matcher.normalizer.analyse(question).terms())
        fast, slow = index.search(query, 50, prune=100), plain.search(query, 50, prune=100)
        assert [d for d, _ in fast] == [d for d, _ in slow]
        assert [round(c, 9) for _, c in fast] == [round(c, 9) for _, c in slow]


def test_a_repeated_question_gets_the_same_decision(bundle):
    first = bundle.matcher.match("两项补贴怎么申请")
    again = bundle.matcher.match(" 两项补贴怎么申请 ")
    assert again.decision == first.decision and again.offered == first.offered
