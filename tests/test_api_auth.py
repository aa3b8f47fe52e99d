"""Staff API auth: tokens from `wxbot token create`, hashed at rest; 401 unknown, 403 revoked/read-only."""
from __future__ import annotations

import hashlib

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.api.auth import create_token, revoke_tokens
from bot.jobs.models import ApiToken

JOB = {"external_id": "T-1", "title": "包装工", "employer": "某厂", "contact_phone": "13800000000"}


def make_token(services, name="sync", read_only=False) -> str:
    with services.sessions.begin() as s:
        return create_token(s, name, read_only=read_only)[1]


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.mark.parametrize("header", [None, "Bearer", "Basic dXNlcjpwYXNz", "Bearer wxb_not-a-real-token"])
def test_missing_or_unknown_token_is_401_in_json(client, services, header):
    make_token(services)
    resp = client.get("/api/v1/jobs", headers={"Authorization": header} if header else {})
    assert resp.status_code == 401 and resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert resp.json["error"] == "unauthorized" and " / " in resp.json["message"]


def test_revoked_token_is_403(client, services):
    token = make_token(services)
    assert client.get("/api/v1/jobs", headers=auth(token)).status_code == 200
    with services.sessions.begin() as s:
        assert revoke_tokens(s, name="sync") == 1
    resp = client.get("/api/v1/jobs", headers=auth(token))
    assert resp.status_code == 403 and resp.json["error"] == "token_revoked"


def test_read_only_token_reads_but_cannot_write(client, services):
    token = make_token(services, "viewer", read_only=True)
    assert client.get("/api/v1/jobs", headers=auth(token)).status_code == 200
    for resp in (client.post("/api/v1/jobs", json=JOB, headers=auth(token)),
                 client.patch("/api/v1/jobs/T-1", json={"title": "x"}, headers=auth(token)),
                 client.delete("/api/v1/jobs/T-1", headers=auth(token))):
        assert resp.status_code == 403 and resp.json["error"] == "read_only"


def test_only_the_hash_is_stored(services):
    token = make_token(services)
    with services.sessions() as s:
        row = s.scalar(select(ApiToken))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (row.prefix, row.name)


def test_cli_token_create_prints_the_token_on_its_last_line_and_it_works(client, settings):
    from bot.cli.main import cli
    env = {"DATABASE_URL": settings.database_url}
    result = CliRunner().invoke(cli, ["token", "create", "--name", "就业中心同步"], env=env)
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    resp = client.post("/api/v1/jobs", json=JOB, headers=auth(token))
    assert resp.status_code == 201, resp.json
    listed = CliRunner().invoke(cli, ["token", "list"], env=env)
    assert "就业中心同步" in listed.output and token not in listed.output
    revoked = CliRunner().invoke(cli, ["token", "revoke", "--name", "就业中心同步"], env=env)
    assert "revoked: 1" in revoked.output
    assert client.get("/api/v1/jobs", headers=auth(token)).status_code == 403
