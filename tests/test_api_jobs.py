"""POST/GET/PATCH/DELETE /api/v1/jobs through real HTTP: validation (422 per field), idempotent upserts,
pagination, withdrawal, size and type limits — via the Flask test client and one live server."""
from __future__ import annotations

import datetime as dt

import pytest
import requests
from sqlalchemy import func, select

from bot.api import MAX_JSON_BYTES
from bot.api.auth import create_token
from bot.db import LOCAL_TZ
from bot.jobs.models import JobPosting

TODAY = dt.datetime.now(LOCAL_TZ).date()
JOB = {"external_id": "HR-2026-001", "title": "包装工", "employer": "平阳某包装厂", "town": "鳌江",
       "address": "鳌江镇某路 1 号", "positions": 3, "salary": "3000-4000元/月", "working_hours": "8:00-17:00",
       "description": "纸箱包装，坐着干活", "requirements": "能坐班", "categories": ["听力", "言语"],
       "accessibility": "一楼作业，有无障碍厕所", "kind": "全职", "contact_phone": "0577-63661234",
       "valid_from": TODAY.isoformat(), "valid_until": (TODAY + dt.timedelta(days=30)).isoformat(),
       "source": "县就业中心"}


@pytest.fixture
def token(services):
    with services.sessions.begin() as s:
        return create_token(s, "sync")[1]


@pytest.fixture
def api(app, token):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def call(method, path, **kw):
        return client.open(path, method=method, headers={**headers, **kw.pop("headers", {})}, **kw)
    return call


def count(services) -> int:
    with services.sessions() as s:
        return s.scalar(select(func.count(JobPosting.id)))


def test_post_creates_then_reposting_the_same_external_id_updates(api, services, chat):
    created = api("POST", "/api/v1/jobs", json=JOB)
    assert created.status_code == 201 and created.json["outcome"] == "created"
    assert created.json["job"]["town"] == "鳌江镇" and created.headers["Location"].endswith("/jobs/HR-2026-001")
    again = api("POST", "/api/v1/jobs", json={**JOB, "salary": "4000元/月"})
    assert again.status_code == 200 and again.json["outcome"] == "updated"
    assert api("POST", "/api/v1/jobs", json={**JOB, "salary": "4000元/月"}).json["outcome"] == "unchanged"
    assert count(services) == 1
    assert "4000元/月" in chat("找工作").text


def test_invalid_input_is_422_with_a_message_per_field(api, services):
    bad = {**JOB, "title": " ", "contact_phone": "call me", "categories": ["外星"], "kind": "合同工",
           "positions": -1, "valid_until": "明年", "colour": "red"}
    resp = api("POST", "/api/v1/jobs", json=bad)
    assert resp.status_code == 422 and resp.json["error"] == "validation_failed"
    fields = resp.json["fields"]
    assert set(fields) == {"title", "contact_phone", "categories", "kind", "positions", "valid_until",
                           "colour"}
    assert all(" / " in m for m in fields.values())  # 中文 / English
    assert fields["title"] == "岗位名称必须填写 / required"
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    past = api("POST", "/api/v1/jobs", json={**JOB, "valid_until": yesterday})
    assert past.status_code == 422 and "valid_until" in past.json["fields"]
    no_id = api("POST", "/api/v1/jobs", json={k: v for k, v in JOB.items() if k != "external_id"})
    assert no_id.status_code == 422 and set(no_id.json["fields"]) == {"external_id"}
    assert count(services) == 0


@pytest.mark.parametrize("kwargs, status", [
    ({"data": "{not json", "content_type": "application/json"}, 400),
    ({"json": ["a", "list"]}, 400),
    ({"data": "title=x", "content_type": "application/x-www-form-urlencoded"}, 415),
    ({"json": {**JOB, "description": "长" * MAX_JSON_BYTES}}, 413),
])
def test_bad_bodies_get_json_errors(api, kwargs, status):
    resp = api("POST", "/api/v1/jobs", **kwargs)
    assert resp.status_code == status and resp.is_json and " / " in resp.json["message"]


def test_list_is_open_postings_newest_first_and_paginated(api, services):
    for i in range(23):
        job = {**JOB, "external_id": f"J{i:02d}", "title": f"岗位{i}"}
        assert api("POST", "/api/v1/jobs", json=job).status_code == 201
    api("DELETE", "/api/v1/jobs/J22")
    with services.sessions.begin() as s:  # one past its end date, not yet expired by the tick
        late = s.scalar(select(JobPosting).where(JobPosting.external_id == "J21"))
        late.valid_until = TODAY - dt.timedelta(days=1)
    first = api("GET", "/api/v1/jobs?per_page=10").json
    assert first["total"] == 21 and [j["external_id"] for j in first["items"][:2]] == ["J20", "J19"]
    assert first["next"].endswith("page=2&per_page=10")
    last = api("GET", "/api/v1/jobs?page=3&per_page=10").json
    assert len(last["items"]) == 1 and last["next"] is None
    assert api("GET", "/api/v1/jobs?per_page=500").status_code == 400


def test_patch_edits_and_delete_withdraws(api, chat):
    api("POST", "/api/v1/jobs", json=JOB)
    patched = api("PATCH", "/api/v1/jobs/HR-2026-001", json={"salary": "面议", "positions": "5人"})
    job = patched.json["job"]
    assert patched.status_code == 200 and (job["salary"], job["positions"]) == ("面议", 5)
    assert patched.json["job"]["title"] == "包装工"
    bad = api("PATCH", "/api/v1/jobs/HR-2026-001", json={"contact_phone": "", "external_id": "other"})
    assert bad.status_code == 422 and set(bad.json["fields"]) == {"contact_phone", "external_id"}
    assert api("PATCH", "/api/v1/jobs/nope", json={"salary": "1"}).status_code == 404
    gone = api("DELETE", "/api/v1/jobs/HR-2026-001")
    assert gone.status_code == 200 and gone.json["job"]["status"] == "withdrawn"
    assert api("DELETE", "/api/v1/jobs/HR-2026-001").status_code == 200  # idempotent
    assert api("GET", "/api/v1/jobs").json["total"] == 0
    assert api("GET", "/api/v1/jobs/HR-2026-001").json["job"]["status"] == "withdrawn"
    reposted = api("POST", "/api/v1/jobs", json=JOB)  # a sync cannot resurrect a withdrawn posting
    assert reposted.json["job"]["status"] == "withdrawn" and "status" in reposted.json["warnings"]
    assert "包装工" not in chat("找工作").text


def test_unknown_urls_and_methods_answer_json(api):
    assert api("GET", "/api/v1/nothing").status_code == 404 and api("GET", "/api/v1/nothing").is_json
    resp = api("PUT", "/api/v1/jobs")
    assert resp.status_code == 405 and resp.is_json


def test_views_per_posting_for_staff(api, chat):
    api("POST", "/api/v1/jobs", json=JOB)
    chat("找工作")
    chat("1")
    [row] = api("GET", "/api/v1/job-views").json["items"]
    assert (row["external_id"], row["views"], row["viewers"]) == ("HR-2026-001", 1, 1)


def test_through_a_real_http_server(live_server, token):
    headers = {"Authorization": f"Bearer {token}"}
    created = requests.post(f"{live_server}/api/v1/jobs", json=JOB, headers=headers, timeout=10)
    assert created.status_code == 201, created.text
    listed = requests.get(f"{live_server}/api/v1/jobs", headers=headers, timeout=10)
    assert listed.json()["items"][0]["external_id"] == "HR-2026-001"
    assert requests.get(f"{live_server}/api/v1/jobs", timeout=10).status_code == 401
    invalid = requests.post(f"{live_server}/api/v1/jobs", json={**JOB, "contact_phone": "x"}, headers=headers,
                            timeout=10)
    assert invalid.status_code == 422 and "contact_phone" in invalid.json()["fields"]


def test_concurrent_posts_of_one_external_id_make_one_posting(live_server, services):
    from concurrent.futures import ThreadPoolExecutor
    with services.sessions.begin() as s:  # separate tokens: requests with one token queue on its row
        tokens = [create_token(s, f"sync{i}")[1] for i in range(6)]

    def post(i):
        return requests.post(f"{live_server}/api/v1/jobs", json={**JOB, "salary": f"{3000 + i}元"},
                             headers={"Authorization": f"Bearer {tokens[i]}"}, timeout=30).status_code
    with ThreadPoolExecutor(6) as pool:
        codes = sorted(pool.map(post, range(6)))
    assert codes == [200] * 5 + [201]
    assert count(services) == 1


@pytest.mark.parametrize("field, raw", [
    ("positions", "Infinity"), ("positions", "-Infinity"), ("positions", "NaN"), ("positions", "1e400"),
    ("positions", "1" + "0" * 400), ("valid_until", "Infinity"), ("title", '"\\ud800包装工"'),
    ("categories", '["听力", "\\udfff"]'), ("employer", "NaN"),
])
def test_hostile_numbers_and_lone_surrogates_are_422_per_field(api, services, field, raw):
    import json
    body = json.dumps({k: v for k, v in JOB.items() if k != field})[:-1] + f', "{field}": {raw}}}'
    resp = api("POST", "/api/v1/jobs", data=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 422, resp.text
    assert list(resp.json["fields"]) == [field] and " / " in resp.json["fields"][field]
    assert count(services) == 0
