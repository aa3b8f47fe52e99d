"""Docs where people look: import --help lists columns and values, the sample files import cleanly."""
from __future__ import annotations

import datetime as dt

from click.testing import CliRunner

from bot.config import ROOT
from bot.db import LOCAL_TZ
from bot.devtools.demo_samples import write_samples

SAMPLES = ROOT / "knowledge" / "samples"


def _env(settings) -> dict:
    return {"DATABASE_URL": settings.database_url, "KNOWLEDGE_DIR": settings.knowledge_dir,
            "DATA_KEY": settings.data_key}


def test_import_help_lists_columns_and_the_accepted_values():
    from bot.cli.main import cli
    certs = CliRunner().invoke(cli, ["certs", "import", "--help"]).output
    for word in ("业务类型", "新办/换领/补办/迁移/注销/变更", "当前环节", "待领取", "退回原因", "knowledge/samples/registry.xlsx"):
        assert word in certs
    jobs = CliRunner().invoke(cli, ["jobs", "import", "--help"]).output
    for word in ("岗位名称 *", "用人单位 *", "联系电话 *", "全职/兼职/辅助性就业/居家就业", "适合残疾类别", "截止日期"):
        assert word in jobs


def test_the_committed_samples_are_what_the_script_makes(tmp_path):
    from openpyxl import load_workbook
    for path in write_samples(tmp_path):
        fresh = [r for r in load_workbook(path).active.iter_rows(values_only=True)]
        committed = [r for r in load_workbook(SAMPLES / path.name).active.iter_rows(values_only=True)]
        assert fresh == committed, f"run python -m bot.devtools.demo_samples to refresh {path.name}"


def test_the_sample_files_import_with_no_bad_rows(settings, services):
    from bot.cli.main import cli
    certs = CliRunner().invoke(cli, ["certs", "import", str(SAMPLES / "registry.xlsx")], env=_env(settings))
    assert certs.exit_code == 0, certs.output
    assert "新增 5" in certs.output and "有错未导入 0" in certs.output
    jobs = CliRunner().invoke(cli, ["jobs", "import", str(SAMPLES / "jobs.xlsx")], env=_env(settings))
    assert jobs.exit_code == 0, jobs.output
    assert "新增 5" in jobs.output and "错误 0" in jobs.output


def test_a_digest_run_that_queues_nothing_says_why(settings, services, monkeypatch):
    from bot import db
    from bot.cli.main import cli
    night = dt.datetime(2026, 11, 30, 23, 30, tzinfo=LOCAL_TZ)
    monkeypatch.setattr(db, "utcnow", lambda: night.astimezone(dt.timezone.utc))
    out = CliRunner().invoke(cli, ["jobs", "digest"], env=_env(settings)).output
    assert "digests queued: 0" in out and "现在是夜间" in out and "9:00–20:00" in out
    monkeypatch.setattr(db, "utcnow", lambda: night.replace(hour=10).astimezone(dt.timezone.utc))
    out = CliRunner().invoke(cli, ["jobs", "digest"], env=_env(settings)).output
    assert "还没有人订阅岗位" in out


def test_the_readme_curl_example_and_printed_demo_lines_work(app, services):
    """A newcomer copies the README: its curl body posts a job, its demo lines are what start-up prints."""
    import json
    import re

    from bot.api.auth import create_token
    from bot.devtools.demo_seed import Seeded, banner
    readme = (ROOT / "README.md").read_text("utf-8")
    body = json.loads(re.search(r"-d '(\{.*?\})'", readme, re.S).group(1))
    with services.sessions.begin() as s:
        secret = create_token(s, "jobs-feed")[1]
    resp = app.test_client().post("/api/v1/jobs", json=body, headers={"Authorization": f"Bearer {secret}"})
    assert resp.status_code == 201, resp.json
    printed = banner(Seeded("present"), "http://127.0.0.1:8000").splitlines()[1:]
    assert all(line in readme for line in printed), printed
