"""Passwords in the web UI: a user changes their own (the current one first; their other
sessions end), an admin sets another user's; CSRF and roles as for every form."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import LocalServer
from tests.support.web_desk import PASSWORD, WebDesk, csrf_of, make_desk, sign_in

NEW_PASSWORD = "a new and longer passphrase"


@pytest.fixture
def desk(tmp_path: Path, feed_server: LocalServer) -> Iterator[WebDesk]:
    desk = make_desk(tmp_path, feed_server.url)
    yield desk
    desk.fetcher.close()


def signs_in(desk: WebDesk, name: str, password: str) -> bool:
    client = desk.client()
    token = csrf_of(client.get("/login").text)
    form = {"name": name, "password": password, "csrf_token": token, "next": "/"}
    return client.post("/login", data=form).status_code == 303


def test_a_user_changes_their_password_and_their_other_sessions_end(desk: WebDesk) -> None:
    here, elsewhere = desk.client(), desk.client()
    token = sign_in(here, "editor")
    sign_in(elsewhere, "editor")
    form = {
        "csrf_token": token,
        "current_password": PASSWORD,
        "new_password": NEW_PASSWORD,
        "new_password_again": NEW_PASSWORD,
    }
    wrong = here.post("/account/password", data=form | {"current_password": "guess"})
    assert wrong.status_code == 422 and "current_password: that is not" in wrong.text
    differ = here.post("/account/password", data=form | {"new_password_again": "another one"})
    assert differ.status_code == 422 and "new_password_again: the two" in differ.text
    short = here.post(
        "/account/password", data=form | {"new_password": "short", "new_password_again": "short"}
    )
    assert short.status_code == 422 and "new_password: at least 8" in short.text
    assert here.post("/account/password", data=form | {"csrf_token": "x"}).status_code == 403
    assert signs_in(desk, "editor", PASSWORD)  # nothing changed so far

    changed = here.post("/account/password", data=form)
    assert changed.status_code == 200 and "Password changed" in changed.text
    assert here.get("/account").status_code == 200  # this session goes on
    ended = elsewhere.get("/sources")
    assert ended.status_code == 303 and ended.headers["location"].startswith("/login")
    assert not signs_in(desk, "editor", PASSWORD)
    assert signs_in(desk, "editor", NEW_PASSWORD)
    [entry] = desk.repository.audit_log(target="user:editor")
    assert (entry.actor, entry.action, entry.before, entry.after) == (
        "editor",
        "user.password",
        None,
        None,
    )


def test_repeated_wrong_current_passwords_are_slowed_down(desk: WebDesk) -> None:
    client = desk.client()
    token = sign_in(client, "viewer")
    form = {
        "csrf_token": token,
        "current_password": "guess",
        "new_password": NEW_PASSWORD,
        "new_password_again": NEW_PASSWORD,
    }
    for _ in range(5):
        assert client.post("/account/password", data=form).status_code == 422
    answer = client.post("/account/password", data=form | {"current_password": PASSWORD})
    assert answer.status_code == 429 and "too many wrong tries" in answer.text
    assert signs_in(desk, "viewer", PASSWORD)


def test_an_admin_sets_another_users_password(desk: WebDesk) -> None:
    viewer = desk.client()
    sign_in(viewer, "viewer")
    editor = desk.client()
    editor_token = sign_in(editor, "editor")
    form = {"csrf_token": editor_token, "password": NEW_PASSWORD}
    assert editor.post("/users/viewer/password", data=form).status_code == 403

    admin = desk.client()
    token = sign_in(admin, "admin")
    assert "Set password" in admin.get("/users").text
    assert admin.post("/users/viewer/password", data={"password": NEW_PASSWORD}).status_code == 403
    short = admin.post("/users/viewer/password", data={"csrf_token": token, "password": "x"})
    assert short.status_code == 422 and "password: at least 8" in short.text
    own = admin.post("/users/admin/password", data={"csrf_token": token, "password": NEW_PASSWORD})
    assert own.status_code == 422
    answer = admin.post(
        "/users/viewer/password", data={"csrf_token": token, "password": NEW_PASSWORD}
    )
    assert answer.status_code == 303
    assert "New password set for viewer" in admin.get(answer.headers["location"]).text
    assert viewer.get("/").status_code == 303  # the viewer's session ended
    assert not signs_in(desk, "viewer", PASSWORD)
    assert signs_in(desk, "viewer", NEW_PASSWORD)
    [entry] = desk.repository.audit_log(target="user:viewer")
    assert (entry.actor, entry.action) == ("admin", "user.password_reset")


def test_signing_out_ends_the_session_on_the_server_too(desk: WebDesk) -> None:
    client = desk.client()
    token = sign_in(client, "editor")
    copied = client.cookies.get("monitor_session")
    assert copied and client.get("/alerts").status_code == 200
    elsewhere = desk.client()
    sign_in(elsewhere, "editor")  # another session of the same user

    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    replayed = desk.client()
    replayed.cookies.set("monitor_session", copied)  # the cookie as it was before signing out
    answer = replayed.get("/alerts")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    assert elsewhere.get("/alerts").status_code == 200  # other sessions go on
