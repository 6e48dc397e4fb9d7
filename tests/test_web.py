"""The web UI and REST API through FastAPI's TestClient: sign-in, roles, CSRF, hostile feed
content, the claim editor's preview and backfill, sources, the YAML round trip."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.types import Role
from monitor.watchlists import load_directory
from tests.support.cli import run_cli
from tests.support.databases import database_url
from tests.support.servers import LocalServer
from tests.support.web_desk import (
    NEW_FEED,
    NOW,
    PASSWORD,
    WebDesk,
    bearer,
    csrf_of,
    desk_with_feed,
    preview_save_and_backfill_a_claim,
    sign_in,
)


@pytest.fixture
def desk(tmp_path: Path, feed_server: LocalServer) -> Iterator[WebDesk]:
    with desk_with_feed(tmp_path, feed_server, "/new.xml", NEW_FEED) as desk:
        yield desk


def test_pages_need_a_sign_in_and_a_right_password(desk: WebDesk) -> None:
    client = desk.client()
    answer = client.get("/sources")
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/sources"
    token = csrf_of(client.get("/login").text)
    wrong = client.post("/login", data={"name": "admin", "password": "nope", "csrf_token": token})
    assert wrong.status_code == 401 and "Wrong name or password" in wrong.text
    sign_in(client, "admin")
    assert client.get("/sources").status_code == 200


def test_the_session_cookie_is_httponly_and_samesite(desk: WebDesk) -> None:
    answer = desk.client().get("/login")
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_forms_without_the_session_csrf_token_are_refused(desk: WebDesk) -> None:
    client = desk.client()
    assert client.post("/login", data={"name": "admin", "password": PASSWORD}).status_code == 403
    token = sign_in(client, "editor")
    form = {"watchlist": "arms", "id": "x", "text": "A claim", "action": "save", "new": "1"}
    assert client.post("/claims/save", data=form).status_code == 403
    assert client.post("/claims/save", data=form | {"csrf_token": "forged"}).status_code == 403
    assert client.post("/claims/save", data=form | {"csrf_token": token}).status_code == 303


def test_hostile_feed_content_is_escaped_and_its_links_neutralised(desk: WebDesk) -> None:
    client = desk.client()
    sign_in(client, "viewer")
    claim = desk.repository.claims()[0]
    # Make the hostile item evidence of the claim, as a backfill would.
    desk.repository.record_audit("t", "t", "t", None, None, desk.repository.item(1).fetched_at)
    from monitor.types import Evidence, Stance

    desk.repository.backfill_evidence(
        [Evidence(claim.id, 1, 0.9, desk.repository.item(1).title, Stance.MENTIONS, 0.5)],
        desk.repository.item(1).fetched_at,
    )
    for path in ("/", f"/claims/{claim.id}"):
        answer = client.get(path)
        html = answer.text
        assert "&lt;script&gt;alert(" in html
        assert "<script" not in html.lower()
        assert "<b onmouseover" not in html and 'href="javascript:' not in html
        assert "default-src 'none'" in answer.headers["content-security-policy"]


def test_viewers_cannot_edit(desk: WebDesk) -> None:
    client = desk.client()
    token = sign_in(client, "viewer")
    assert client.get("/claims/new").status_code == 403
    form = {"watchlist": "arms", "id": "x", "text": "A", "action": "save", "csrf_token": token}
    assert client.post("/claims/save", data=form).status_code == 403
    assert client.get("/users").status_code == 403
    answer = client.put(
        "/api/v1/watchlists/arms/claims/x", json={"text": "A"}, headers=bearer(desk, Role.VIEWER)
    )
    assert answer.status_code == 403
    assert "id: x" not in (desk.watchlists / "arms.yaml").read_text()


def test_a_new_claim_is_previewed_saved_to_yaml_and_backfilled_without_alerts(
    desk: WebDesk,
) -> None:
    preview_save_and_backfill_a_claim(desk)


def test_a_claim_edit_is_audited_with_before_and_after(desk: WebDesk) -> None:
    client = desk.client()
    token = sign_in(client, "editor")
    claim = desk.repository.claims()[0]
    page = client.get(f"/claims/{claim.id}/edit")
    assert "North Korea is shipping artillery shells to Russia" in page.text
    form = {
        "csrf_token": token,
        "watchlist": "arms",
        "id": claim.key,
        "text": claim.text,
        "verdict": "supported",
        "notes": "confirmed by two agencies",
        "action": "save",
    }
    assert client.post("/claims/save", data=form).status_code == 303
    [entry] = desk.repository.audit_log(target=f"claim:arms/{claim.key}")
    assert entry.before is not None and entry.before["verdict"] == "unverified"
    assert entry.after is not None and entry.after["verdict"] == "supported"
    assert "verdict: supported" in (desk.watchlists / "arms.yaml").read_text()


def test_bad_claim_forms_say_what_is_wrong(desk: WebDesk) -> None:
    client = desk.client()
    token = sign_in(client, "editor")
    form = {"csrf_token": token, "new": "1", "watchlist": "arms", "id": "Bad Id", "text": ""}
    answer = client.post("/claims/save", data=form | {"threshold": "2", "action": "save"})
    assert answer.status_code == 422
    assert "id: lower-case" in answer.text  # the messages files and the API give
    assert "threshold: Input should be less than or equal to 1" in answer.text


def test_sources_are_added_after_a_test_fetch_and_disabled(
    desk: WebDesk, feed_server: LocalServer
) -> None:
    client = desk.client()
    token = sign_in(client, "editor")
    form = {"csrf_token": token, "watchlist": "arms", "name": "New", "kind": "feed"}
    broken = client.post("/sources/add", data=form | {"url": f"{feed_server.url}/missing"})
    assert broken.status_code == 422 and "the test fetch failed" in broken.text
    unsafe = client.post("/sources/add", data=form | {"url": "javascript:alert(1)"})
    assert unsafe.status_code == 422
    assert "url: URL scheme should be &#39;http&#39; or &#39;https&#39;" in unsafe.text
    added = client.post("/sources/add", data=form | {"url": f"{feed_server.url}/new.xml"})
    assert added.status_code == 303
    new = [s for s in desk.repository.sources() if s.name == "New"]
    assert len(new) == 1
    assert "new.xml" in (desk.watchlists / "arms.yaml").read_text()
    off = client.post(f"/sources/{new[0].id}/enabled", data={"csrf_token": token, "enabled": "0"})
    assert off.status_code == 303
    source = desk.repository.source(new[0].id)
    assert not source.enabled and source.disabled_reason == "disabled by editor"
    assert "disabled" in client.get("/sources").text
    # Editing the watchlist file later does not switch it back on...
    path = desk.watchlists / "arms.yaml"
    path.write_text(path.read_text() + "# edited\n")
    desk.repository.sync_watchlists(load_directory(desk.watchlists).watchlists, NOW)
    assert not desk.repository.source(new[0].id).enabled
    # ...only enabling it does.
    client.post(f"/sources/{new[0].id}/enabled", data={"csrf_token": token, "enabled": "1"})
    assert desk.repository.source(new[0].id).enabled


def test_admins_add_users_and_users_make_api_tokens(desk: WebDesk) -> None:
    client = desk.client()
    token = sign_in(client, "admin")
    form = {"csrf_token": token, "name": "ana", "password": "long enough pw", "role": "editor"}
    assert client.post("/users", data=form).status_code == 303
    assert "ana" in client.get("/users").text
    made = client.post("/account/tokens", data={"csrf_token": token, "name": "scripts"})
    api_token = made.text.split('id="new-token">')[1].split("<")[0]
    answer = client.get("/api/v1/claims", headers={"Authorization": f"Bearer {api_token}"})
    assert answer.status_code == 200


def test_the_api_needs_a_token_and_serves_claims_evidence_sources_alerts(desk: WebDesk) -> None:
    client = desk.client()
    assert client.get("/api/v1/claims").status_code == 401
    assert client.get("/api/v1/claims", headers={"Authorization": "Bearer no"}).status_code == 401
    viewer = bearer(desk, Role.VIEWER)
    [claim] = client.get("/api/v1/claims", headers=viewer).json()
    assert claim["key"] == "dprk-shells" and claim["effective_threshold"] == 0.5
    [watchlist] = client.get("/api/v1/watchlists", headers=viewer).json()
    assert watchlist["key"] == "arms" and len(watchlist["sources"]) == 1
    evidence = client.get(f"/api/v1/claims/{claim['id']}/evidence", headers=viewer).json()
    assert evidence and evidence[0]["title"] == "North Korea ships artillery shells to Russia"
    assert evidence[0]["alerted"] is True
    alerts = client.get("/api/v1/alerts", headers=viewer).json()
    assert alerts and alerts[0]["status"] == "pending"
    [source] = client.get("/api/v1/sources", headers=viewer).json()
    editor = bearer(desk, Role.EDITOR)
    changed = client.patch(
        f"/api/v1/sources/{source['id']}", json={"enabled": False}, headers=editor
    )
    assert changed.status_code == 200 and changed.json()["enabled"] is False
    assert client.get("/api/v1/claims/999", headers=viewer).status_code == 404
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/watchlists/{key}/claims/{claim_key}" in schema["paths"]


def test_the_api_previews_and_saves_claims(desk: WebDesk) -> None:
    client = desk.client()
    editor = bearer(desk, Role.EDITOR)
    body = {"text": "Iran supplies Shahed attack drones to Russia", "threshold": 0.5}
    url = "/api/v1/watchlists/arms/claims/iran-drones"
    [match] = client.post(f"{url}/preview", json=body, headers=editor).json()
    assert match["url"] == "javascript:alert(3)"  # data as stored; pages neutralise it
    saved = client.put(url, json=body, headers=editor)
    assert saved.status_code == 200 and saved.json()["backfilled"] == 1
    bad = client.put(url, json={"text": "a\x00b"}, headers=editor)
    assert bad.status_code == 422
    assert (
        client.put("/api/v1/watchlists/nope/claims/x", json=body, headers=editor).status_code == 404
    )


def test_watchlists_export_to_yaml_and_users_are_added_from_the_cli(
    desk: WebDesk, tmp_path: Path
) -> None:
    env = {"MONITOR_DATABASE_URL": database_url(tmp_path / "web.sqlite3")}
    out = tmp_path / "export"
    result = run_cli(["watchlist", "export", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    [exported] = load_directory(out).watchlists
    [original] = load_directory(desk.watchlists).watchlists
    assert (exported.claims, exported.sources, exported.threshold) == (
        original.claims,
        original.sources,
        original.threshold,
    )
    env["MONITOR_NEW_PASSWORD"] = "a long password"
    result = run_cli(["users", "add", "bo", "--role", "admin"], env=env)
    assert result.exit_code == 0, result.output
    found = desk.repository.user_credentials("bo")
    assert found is not None and found[0].role is Role.ADMIN


def test_dumped_watchlists_read_back_the_same() -> None:
    from dataclasses import replace

    from monitor.watchlists import dump_watchlist, parse_watchlist
    from tests.support.paths import REPO

    for watchlist in load_directory(REPO / "watchlists").watchlists:
        back = parse_watchlist(dump_watchlist(watchlist, 0.6), watchlist.path or Path("x"), 0.6)
        assert replace(back, fingerprint="") == replace(watchlist, fingerprint="")


def test_nul_bytes_are_refused_before_any_query(desk: WebDesk) -> None:
    # PostgreSQL refuses NUL bytes in text: they must never reach a query (no 500s).
    client = desk.client()
    viewer = bearer(desk, Role.VIEWER)
    assert client.get("/api/v1/claims?watchlist=%00", headers=viewer).status_code == 400
    assert client.get("/api/v1/watchlists/a%00b", headers=viewer).status_code == 400
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"name": "admin\x00", "password": "x", "csrf_token": token})
    assert answer.status_code == 401


def test_a_source_is_edited_in_every_watchlist_that_reads_it(
    desk: WebDesk, feed_server: LocalServer
) -> None:
    client = desk.client()
    token = sign_in(client, "editor")
    [source] = desk.repository.sources()
    assert "Wire" in client.get(f"/sources/{source.id}/edit").text
    form = {"csrf_token": token, "name": "Wire (renamed)", "url": source.url, "kind": "feed"}
    bad = client.post(f"/sources/{source.id}/edit", data=form | {"poll_interval": "1s"})
    assert bad.status_code == 422 and "too short" in bad.text
    saved = client.post(f"/sources/{source.id}/edit", data=form | {"poll_interval": "2h"})
    assert saved.status_code == 303
    [changed] = desk.repository.sources()
    assert (changed.id, changed.name, changed.poll_interval.total_seconds()) == (
        source.id,
        "Wire (renamed)",
        7200,
    )
    text = (desk.watchlists / "arms.yaml").read_text()
    assert "Wire (renamed)" in text and "poll_interval: 2h" in text
    [entry] = desk.repository.audit_log(target=f"source:{source.url}")
    assert entry.before is not None and entry.before["name"] == "Wire"


def test_the_service_serves_pages_api_and_websub_on_one_server(tmp_path: Path) -> None:
    import httpx

    from monitor.app import build_service
    from monitor.settings import load_settings

    settings = load_settings(
        data_dir=tmp_path / "var",
        database_url=database_url(tmp_path / "svc.sqlite3"),
        watchlists=tmp_path,
        stance_model="none",
        http_port=0,
    )
    service = build_service(settings)
    server = service.web_server()
    server.start()
    try:
        assert httpx.get(f"{server.url}/login").status_code == 200
        assert httpx.get(f"{server.url}/api/v1/claims").status_code == 401
        assert httpx.get(f"{server.url}/websub/1").status_code == 404
    finally:
        server.stop()
        service.close()
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0  # owner only


def test_repeated_failed_sign_ins_are_slowed_down(desk: WebDesk) -> None:
    client = desk.client()
    token = csrf_of(client.get("/login").text)

    def attempt(password: str) -> int:
        form = {"name": "editor", "password": password, "csrf_token": token, "next": "/"}
        return client.post("/login", data=form).status_code

    assert [attempt("wrong guess") for _ in range(5)] == [401] * 5
    blocked = client.post(
        "/login", data={"name": "editor", "password": PASSWORD, "csrf_token": token, "next": "/"}
    )
    assert blocked.status_code == 429 and "Too many failed sign-ins" in blocked.text
    assert int(blocked.headers["Retry-After"]) > 0
    # Guessing one name from many addresses is slowed down too: the name itself is locked.
    desk.app.state.web.login_throttle.succeeded(["address:testclient"])
    assert attempt("still wrong") == 429


def test_admins_send_failed_alerts_again_and_everyone_sees_why_alerts_wait(
    desk: WebDesk,
) -> None:
    [alert] = desk.repository.alerts()
    reason = "paused: Slack refused the alert for #arms: not_in_channel; to fix: invite the bot"
    desk.repository.mark_alert_failed(alert.id, reason, permanent=False, attempted=False)
    client = desk.client()
    sign_in(client, "viewer")
    page = client.get("/alerts").text
    assert "Delivery to #arms is paused, alerts wait" in page and "invite the bot" in page
    desk.repository.mark_alert_failed(alert.id, "Slack refused: invalid_blocks", permanent=True)
    page = client.get("/alerts?status=failed").text
    assert "Send again" not in page
    token = csrf_of(page)
    refused = client.post("/alerts/resend", data={"csrf_token": token, "alert_id": str(alert.id)})
    assert refused.status_code == 403
    client.post("/logout", data={"csrf_token": token})

    token = sign_in(client, "admin")
    assert "Send again" in client.get("/alerts?status=failed").text
    assert client.post("/alerts/resend", data={"alert_id": str(alert.id)}).status_code == 403
    sent = client.post("/alerts/resend", data={"csrf_token": token, "alert_id": str(alert.id)})
    assert sent.status_code == 303
    [again] = desk.repository.alerts()
    assert again.status.value == "pending" and again.attempts == 0 and again.last_error is None
    [entry] = desk.repository.audit_log(target="alerts")
    assert entry.action == "alert.resend" and entry.actor == "admin"


def test_the_claim_page_and_api_say_who_holds_each_stance(desk: WebDesk) -> None:
    from monitor.types import Evidence, ReportedStance, Stance

    claim = desk.repository.claims()[0]
    denial = "Pyongyang has repeatedly denied the <shipments>."
    evidence = Evidence(
        claim.id, 1, 0.7, "North Korea has covertly supplied Russia with shells.",
        Stance.SUPPORTS, 0.8, holder="NSC spokesman John Kirby",
        reported=(ReportedStance(Stance.CONTRADICTS, "Pyongyang", denial),),
    )  # fmt: skip
    desk.repository.backfill_evidence([evidence], desk.repository.item(1).fetched_at)
    client = desk.client()
    sign_in(client, "viewer")
    html = client.get(f"/claims/{claim.id}").text
    assert "According to NSC spokesman John Kirby" in html
    assert (
        "Also reports: Pyongyang contradicts: “Pyongyang has repeatedly denied the &lt;shipments&gt;.”"
        in html
    )
    assert 'title="asserts the claim, or reports someone asserting it"' in html
    listed = client.get(f"/api/v1/claims/{claim.id}/evidence", headers=bearer(desk, Role.VIEWER))
    [found] = [e for e in listed.json() if e["item_id"] == 1]
    assert found["holder"] == "NSC spokesman John Kirby"
    assert found["reported"] == [{"stance": "contradicts", "holder": "Pyongyang", "quote": denial}]
