"""Validate a held-out set (fresh2.tsv, fresh3.tsv, …) without running the matcher and without
printing other sets.

    python3 knowledge/eval/check_heldout.py fresh3     # exit 1 on any problem

The checks of check_fresh.py (it reuses that file's readers), with each set's own thresholds (RULES):
every entry asked at least `per_entry` times, the big topics at least `big` times, enough in scope, out
of scope and near-domain traps (a referral id, or `none` naming a neighbouring public service). The set
is compared with EVERY other set: an exact or a near copy (similarity >= NEAR after removing spaces
and punctuation) is a problem, and only the checked set's own lines are ever shown. Entries written
after a set (`written_after`) cannot have been asked for by id and are exempt from its coverage.
Also prints rough style counts (dictation-like, long, dialect) for README.md.
"""
import re
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from check_fresh import coverage, copies, entry_kinds, line_problems, rows, scope_groups  # noqa: E402

NEAR = 0.85
HERE = Path(__file__).parent
BIG_TOPICS = ["subsidy.living", "subsidy.care", "cert.apply", "cert.renew", "cert.transfer",
              "assess.level", "assess.home", "rehab.children", "aids.fitting", "insurance.medical",
              "insurance.pension", "insurance.accident", "edu.special_school", "edu.home_teaching",
              "edu.college", "employ.support", "employ.training", "access.home"]
DIALECT = re.compile(r"俺|咋|木有|啥|伐|咧|嘞|哪能|侬|娃")


@dataclass(frozen=True)
class Rules:
    per_entry: int
    big: int
    in_scope: int
    out_of_scope: int
    near_domain: int
    near_domain_none: tuple[str, ...]  # words of `none` questions about a neighbouring public service
    written_after: frozenset[str] = frozenset()


ROUND3_REFERRALS = frozenset({"ref.funeral", "ref.family_planning", "ref.public_housing", "ref.unemployment"})
ROUND5_REFERRALS = frozenset({"ref.village", "ref.demolition", "ref.fuel_subsidy"})
RULES = {
    "fresh2": Rules(2, 5, 170, 50, 30, ("丧葬", "独生子女", "公租房", "保障性住房", "失业", "宅基地", "牌照"),
                    ROUND3_REFERRALS | ROUND5_REFERRALS),
    "fresh3": Rules(3, 6, 210, 60, 35, ("宅基地", "牌照", "种粮", "拆迁", "疫苗", "挂号", "遗体捐献", "征地",
                                        "路灯", "燃油补贴", "停车位"), ROUND5_REFERRALS),
    "fresh4": Rules(2, 5, 180, 60, 30, ("修路", "挂号", "挂好", "缴费基数", "电费", "宅基地", "村务", "自来水",
                                        "疫苗", "农机", "路等", "路灯", "耕地", "拆迁", "避灾"), ROUND5_REFERRALS),
    "fresh5": Rules(2, 5, 180, 60, 30, ("公交卡", "天然气", "广场舞", "新生儿", "电动车", "电瓶车", "闯红灯", "违章",
                                        "捐款", "献血", "征兵", "宽带", "话费", "有线电视", "诈骗", "网购",
                                        "加装电梯", "门票", "银行卡", "营养餐")),
    "fresh6": Rules(2, 5, 180, 60, 30, ("快递", "物业费", "消费券", "以旧换新", "充电桩", "公证", "休渔", "两癌筛查",
                                        "噪音", "志愿填报", "过期食品", "生猪", "人才补贴", "流浪狗", "摆摊", "家庭医生",
                                        "兴趣班", "病历复印", "烟花", "高温补贴", "公务员", "出租车", "白蚁")),
    "fresh7": Rules(2, 5, 180, 60, 30, ("公共自行车", "高铁", "征信", "职称", "欠薪", "秸秆", "农业保险", "车险",
                                        "人口普查", "保健品", "成人高考", "急救培训", "社会组织", "人事档案", "液化气",
                                        "重疾险", "入职体检", "选民登记", "猫头鹰", "彩票")),
}


def check(name: str) -> int:
    rules, path = RULES[name], HERE / f"{name}.tsv"
    others = [p for p in sorted(HERE.glob("*.tsv")) if p.name != path.name]
    others += sorted(Path("/work/shared/eval").glob("*.tsv"))
    kinds = entry_kinds()
    fresh = rows(path)
    problems = line_problems(fresh, kinds, path.name)
    exact, near_copies, compared = copies(fresh, others, NEAR)
    problems += exact + near_copies
    per_id, missing = coverage(fresh, kinds, set(rules.written_after), BIG_TOPICS, rules.big)
    problems += missing
    problems += [f"{i}: asked {per_id[i]} time(s), want at least {rules.per_entry}" for i in kinds
                 if i not in rules.written_after and 2 <= per_id[i] < rules.per_entry]  # below 2: coverage()
    groups = scope_groups(fresh, kinds)
    near_none = sum(1 for _, ids, q in fresh if ids == ["none"] and any(w in q for w in rules.near_domain_none))
    out_of_scope, traps = groups["none"] + groups["referral"], groups["referral"] + near_none
    for have, want, what in ((out_of_scope, rules.out_of_scope, "out-of-scope questions"),
                             (traps, rules.near_domain, "near-domain traps"),
                             (groups["in scope"], rules.in_scope, "in-scope questions")):
        if have < want:
            problems.append(f"only {have} {what}, want at least {want}")

    questions = [q for _, _, q in fresh]
    dictated = sum(1 for q in questions if not re.search(r"[\s\W]", q) and len(q) >= 8)
    long = sum(1 for q in questions if len(q) >= 45)
    dialect = sum(1 for q in questions if DIALECT.search(q))
    print(f"{path.name}: {len(fresh)} questions: {groups['in scope']} in scope (answer or small talk), "
          f"{groups['referral']} referral traps, {groups['none']} none ({near_none} of them near-domain); "
          f"{sum(len(ids) > 1 for _, ids, _ in fresh)} with two acceptable ids")
    print(f"style (rough): {dictated} without any space or punctuation (dictation-like), "
          f"{long} of 45+ characters, {dialect} with dialect words")
    print(f"compared against {len(others)} other set(s), {compared} questions")
    print("per id: " + ", ".join(f"{i} {c}" for i, c in sorted(per_id.items())))
    for line in problems:
        print("PROBLEM", line)
    return 1 if problems else 0


if __name__ == "__main__":
    names = sys.argv[1:] or sorted(RULES)
    sys.exit(max(check(n.removesuffix(".tsv")) for n in names))
