"""Users and tokens on a real team server process (PostgreSQL + moto S3): nothing is readable
without a token, roles and per-project limits hold, a revoked token stops working at once."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from team_server import TeamServer
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

import runicorn as rn
from runicorn.manifest.http_push import push_root


def record(root: Path, project: str, name: str, config: dict[str, Any], steps: int = 30) -> str:
    run = rn.init(
        project=project, name=name, storage=root, config=config, tags=["baseline"],
        system_metrics=False, capture_console=False, capture_env=False,
    )  # fmt: skip
    for step in range(1, steps + 1):
        run.log({"train/loss": 1.0 / step, "val/acc": step / steps})
    run.log({"train/loss": math.nan})
    run.log_text("epoch 1 done: 学习率 0.01")
    run.summary({"best_acc": 0.9})
    run.alert(f"{project}: loss plateaued", level="warn")
    run.finish()
    return run.id


@pytest.fixture
def populated(team: TeamServer, root: Path) -> dict[str, Any]:
    """Two projects pushed by an admin; tokens for each kind of user."""
    vision = record(root, "vision", "resnet", {"batch_size": 64, "weight decay": 0.01})
    nlp = record(root, "nlp", "bert", {"batch_size": 32, "optimizer": {"betas": [0.9, 0.99]}})
    admin = team.add_user("root-admin", "admin")
    report = push_root(root, team.url, token=admin)
    assert report.ok and sorted(report.runs_new) == sorted([vision, nlp])
    return {
        "vision": vision, "nlp": nlp, "admin": admin,
        "reader": team.add_user("rita", "reader"),
        "vision_writer": team.add_user("walt", "writer", "vision"),
        "vision_reader": team.add_user("vic", "reader", "vision"),
    }  # fmt: skip


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def fill(path: str, run_id: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: run_id if m.group(0) == "{run_id}" else "x", path)


def test_nothing_is_readable_without_a_token(team: TeamServer, populated: dict[str, Any]) -> None:
    run_id = populated["vision"]
    schema = httpx.get(f"{team.url}/openapi.json", headers=bearer(populated["admin"])).json()
    assert httpx.get(f"{team.url}/openapi.json").status_code == 401
    assert httpx.get(f"{team.url}/docs").status_code == 401
    swept = 0
    for path, methods in schema["paths"].items():
        for method in methods:
            url = team.url + fill(path, run_id)
            for headers in ({}, bearer("rnt_not-a-token"), {"Cookie": "runicorn_session=nope"}):
                answer = httpx.request(method.upper(), url, headers=headers, json={})
                if path == "/api/health":
                    assert answer.status_code == 200 and answer.json() == {"status": "ok"}
                elif path in ("/api/auth/login", "/api/auth/logout"):
                    assert run_id not in answer.text
                else:
                    assert answer.status_code == 401, (method, path, answer.text)
                    assert run_id not in answer.text and "resnet" not in answer.text
                swept += 1
    assert swept > 100
    ws = team.url.replace("http", "ws")
    for socket_path in (f"/api/metrics/{run_id}/ws", f"/api/runs/{run_id}/logs/ws"):
        for headers in ({}, bearer("rnt_not-a-token")):
            with pytest.raises(InvalidStatus) as refused:
                connect(ws + socket_path, additional_headers=headers, open_timeout=10)
            assert refused.value.response.status_code == 403


def test_health_answers_without_a_token_with_status_only(team: TeamServer) -> None:
    answer = httpx.get(f"{team.url}/api/health")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


def test_tokens_are_stored_hashed_and_shown_once(team: TeamServer) -> None:
    token = team.add_user("ana", "reader")
    assert token.startswith("rnt_") and len(token) > 40
    with psycopg.connect(team.database_url) as conn:
        dump = str(conn.execute("SELECT * FROM user_tokens").fetchall())
    assert token not in dump
    listing = team.users("list")
    assert "ana" in listing.stdout and "reader" in listing.stdout and token not in listing.stdout
    again = team.users("add", "ana", "--role", "admin")
    assert again.returncode == 1 and "already exists" in again.stderr


def test_roles_are_enforced(team: TeamServer, populated: dict[str, Any]) -> None:
    vision, nlp = populated["vision"], populated["nlp"]
    reader, writer = bearer(populated["reader"]), bearer(populated["vision_writer"])
    admin = bearer(populated["admin"])
    assert httpx.get(f"{team.url}/api/experiments", headers=reader).json()["total"] == 2
    edit = {"tags": ["reviewed"]}
    refused = httpx.patch(f"{team.url}/api/runs/{vision}", headers=reader, json=edit)
    assert refused.status_code == 403 and "reader" in refused.json()["detail"]
    assert httpx.patch(f"{team.url}/api/runs/{vision}", headers=writer, json=edit).is_success
    # A writer limited to vision does not see nlp's run at all, so cannot change it either.
    assert httpx.patch(f"{team.url}/api/runs/{nlp}", headers=writer, json=edit).status_code == 404
    assert httpx.patch(f"{team.url}/api/runs/{nlp}", headers=admin, json=edit).is_success
    # Routes that act on the server machine itself are for admins.
    assert httpx.get(f"{team.url}/api/remote/sessions", headers=writer).status_code == 403
    assert httpx.get(f"{team.url}/api/remote/sessions", headers=admin).status_code != 403
    assert httpx.get(f"{team.url}/api/config", headers=reader).status_code == 200
    # Reading through a POST (the compare view's batch of series) is open to readers.
    batch = {"ids": [vision, nlp], "keys": ["train/loss"]}
    compared = httpx.post(f"{team.url}/api/v2/metrics", headers=reader, json=batch)
    assert compared.status_code == 200 and nlp in compared.text
    # Routes naming a project in their path are checked against the user's projects.
    artifact = f"{team.url}/api/artifacts/nlp/tokenizer/v1"
    assert httpx.delete(artifact, headers=writer).status_code == 403
    assert httpx.get(artifact, headers=writer).status_code == 403
    assert httpx.get(artifact, headers=admin).status_code == 404  # no such artifact
    assert httpx.put(f"{team.url}/api/config", headers=writer, json={}).status_code == 403
    # Pushing: readers never, writers into their projects only.
    body = {"runs": [{"id": vision, "path": f"vision/resnet/runs/{vision}"}]}
    assert httpx.post(f"{team.url}/api/push/state", headers=reader, json=body).status_code == 403
    assert httpx.post(f"{team.url}/api/push/state", headers=writer, json=body).is_success
    body = {"runs": [{"id": nlp, "path": f"nlp/bert/runs/{nlp}"}]}
    assert httpx.post(f"{team.url}/api/push/state", headers=writer, json=body).status_code == 403


def test_revoked_token_is_refused_at_once(team: TeamServer, populated: dict[str, Any]) -> None:
    headers = bearer(populated["reader"])
    assert httpx.get(f"{team.url}/api/experiments", headers=headers).status_code == 200
    done = team.users("revoke", "rita")
    assert done.returncode == 0, done.stderr
    assert httpx.get(f"{team.url}/api/experiments", headers=headers).status_code == 401
    assert "revoked" in team.users("list").stdout
    assert team.users("revoke", "rita").returncode == 1


def test_a_user_added_again_gets_a_new_token_and_the_old_one_stays_refused(
    team: TeamServer,
) -> None:
    """Tokens are remembered a few seconds per server process; revoking (from the CLI, another
    process) and adding the user again must not let the old token back in."""
    old = team.add_user("rita", "writer", "vision")
    url = f"{team.url}/api/experiments"
    for _ in range(3):  # verified once, then answered from the process's memory
        assert httpx.get(url, headers=bearer(old)).status_code == 200
    assert team.users("revoke", "rita").returncode == 0
    assert httpx.get(url, headers=bearer(old)).status_code == 401
    new = team.add_user("rita", "reader")
    assert httpx.get(url, headers=bearer(old)).status_code == 401
    assert httpx.get(url, headers=bearer(new)).status_code == 200
    me = httpx.get(f"{team.url}/api/auth/me", headers=bearer(new)).json()["user"]
    assert (me["role"], me["projects"]) == ("reader", [])


def test_lists_show_only_the_users_projects(team: TeamServer, populated: dict[str, Any]) -> None:
    headers = bearer(populated["vision_reader"])
    runs = httpx.get(f"{team.url}/api/experiments", headers=headers).json()
    assert [r["project"] for r in runs["items"]] == ["vision"] and runs["total"] == 1
    v2 = httpx.get(
        f"{team.url}/api/v2/experiments", headers=headers, params={"filter": "project = nlp"}
    ).json()
    assert v2["total"] == 0
    projects = httpx.get(f"{team.url}/api/projects", headers=headers).json()
    assert "nlp" not in str(projects) and "vision" in str(projects)
    alerts = httpx.get(f"{team.url}/api/alerts", headers=headers).json()
    assert {a["project"] for a in alerts["items"]} == {"vision"}
    assert "vision: loss plateaued" in {a["title"] for a in alerts["items"]}
    assert alerts["total"] == len(alerts["items"]) == 2  # the hand-raised one and NaN's
    hidden = httpx.get(f"{team.url}/api/runs/{populated['nlp']}", headers=headers)
    assert hidden.status_code == 404
    everyone = httpx.get(f"{team.url}/api/experiments", headers=bearer(populated["admin"]))
    assert everyone.json()["total"] == 2


def test_field_names_show_only_the_users_projects(
    team: TeamServer, populated: dict[str, Any]
) -> None:
    """Config key names are data too: nlp's `optimizer.betas` is no business of vision's."""
    fields = httpx.get(f"{team.url}/api/v2/fields", headers=bearer(populated["vision_reader"]))
    config = {entry["key"] for entry in fields.json()["config"]}
    assert config == {"batch_size", "weight decay"}
    every = httpx.get(f"{team.url}/api/v2/fields", headers=bearer(populated["admin"])).json()
    assert {entry["key"] for entry in every["config"]} == {
        "batch_size", "weight decay", "optimizer.betas"
    }  # fmt: skip


def test_login_sets_an_httponly_strict_cookie_that_opens_api_and_websockets(
    team: TeamServer, populated: dict[str, Any]
) -> None:
    bad = httpx.post(f"{team.url}/api/auth/login", json={"token": "rnt_wrong"})
    assert bad.status_code == 401 and "set-cookie" not in bad.headers
    good = httpx.post(f"{team.url}/api/auth/login", json={"token": populated["vision_reader"]})
    assert good.status_code == 200 and good.json()["user"]["name"] == "vic"
    cookie = good.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    session = cookie.split(";")[0]
    headers = {"Cookie": session}
    me = httpx.get(f"{team.url}/api/auth/me", headers=headers).json()
    assert me["user"]["projects"] == ["vision"]
    assert httpx.get(f"{team.url}/api/experiments", headers=headers).json()["total"] == 1
    ws = team.url.replace("http", "ws") + f"/api/metrics/{populated['vision']}/ws"
    with connect(ws, additional_headers=headers, open_timeout=10) as socket:
        socket.send('{"keys": ["train/loss"]}')
        assert "train/loss" in str(socket.recv(timeout=20))
    out = httpx.post(f"{team.url}/api/auth/logout", headers=headers)
    assert "runicorn_session=" in out.headers["set-cookie"]


def test_a_server_bound_beyond_loopback_relies_on_user_tokens(server_config: object) -> None:
    from fastapi.testclient import TestClient

    from runicorn.server.app import create_server_app
    from runicorn.server.config import ServerConfig

    assert isinstance(server_config, ServerConfig)
    app = create_server_app(server_config, host="0.0.0.0", auth=True, static_dir=None)
    with TestClient(app, base_url="http://runicorn.example.org") as client:
        assert client.get("/api/experiments").status_code == 401
        assert client.get("/api/health").json() == {"status": "ok"}


def test_a_writer_cannot_slip_a_run_into_another_project(team: TeamServer, root: Path) -> None:
    from runicorn.manifest.http_push import PushError

    run_id = record(root, "nlp", "bert", {"batch_size": 32})
    target = root / "vision" / "bert" / "runs"
    target.mkdir(parents=True)
    (root / "nlp" / "bert" / "runs" / run_id).rename(target / run_id)
    writer = team.add_user("walt", "writer", "vision")
    with pytest.raises(PushError, match="cannot push runs of 'nlp'"):
        push_root(root, team.url, token=writer)
    admin = bearer(team.add_user("root-admin", "admin"))
    assert httpx.get(f"{team.url}/api/experiments", headers=admin).json()["total"] == 0
