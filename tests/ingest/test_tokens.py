"""Tokens: hashed at rest, scoped by globs, revocable."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.tokens import TokenError, TokenStore, hash_secret


def test_create_lookup_revoke(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens.sqlite3")
    secret, token = store.create("/systems/hotline-12345", ["lianxi.ticket.*"], note="hotline")
    found = store.lookup(secret)
    assert (
        found is not None
        and found.token_id == token.token_id
        and found.source == "/systems/hotline-12345"
    )
    assert found.allows("lianxi.ticket.opened") and not found.allows("lianxi.wish.posted")
    assert store.lookup(secret + "x") is None
    assert [t.token_id for t in store.list()] == [token.token_id]
    assert store.revoke(token.token_id) and not store.revoke(token.token_id)
    assert store.lookup(secret) is None
    assert store.list() == [] and store.list(include_revoked=True)[0].revoked_at
    store.close()


def test_only_the_hash_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "tokens.sqlite3"
    store = TokenStore(path)
    secret, _ = store.create("/s", ["lianxi.*"])
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert secret.encode() not in raw
    assert hash_secret(secret).encode() in raw


def test_several_patterns_and_comma_lists(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "t.sqlite3")
    _, token = store.create(
        "/grid", ["lianxi.ticket.opened,lianxi.ticket.responded", "lianxi.wish.*"]
    )
    assert token.types == ("lianxi.ticket.opened", "lianxi.ticket.responded", "lianxi.wish.*")
    assert token.allows("lianxi.wish.claimed") and not token.allows("lianxi.ticket.closed")
    store.close()


@pytest.mark.parametrize(
    ("source", "types", "field", "rule"),
    [
        ("", ["lianxi.ticket.*"], "source", "required"),
        ("/s", [], "types", "required"),
        ("/s", ["lianxi.tickets.*"], "types", "matches_catalogue"),
    ],
)
def test_bad_requests_say_why(
    tmp_path: Path, source: str, types: list[str], field: str, rule: str
) -> None:
    store = TokenStore(tmp_path / "t.sqlite3")
    with pytest.raises(TokenError) as info:
        store.create(source, types)
    assert (info.value.field, info.value.rule) == (field, rule)
    store.close()


def test_area_scope_and_stores_from_before_it(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE tokens (token_id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, source TEXT NOT NULL, "
        "types TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, revoked_at TEXT)"
    )
    old.execute(
        "INSERT INTO tokens VALUES ('tok_old', ?, '/s', '[\"lianxi.ticket.*\"]', '', '2026-01-01T00:00:00+00:00', NULL)",
        (hash_secret("lx_old"),),
    )
    old.commit()
    old.close()
    store = TokenStore(path)
    found = store.lookup("lx_old")
    assert found is not None and found.areas == ()  # an existing token keeps the whole district
    secret, token = store.create("/s", ["lianxi.ticket.*"], areas=["s-01,c-02-01"])
    assert token.areas == ("s-01", "c-02-01") and (token.streets, token.communities) == (
        ["s-01"],
        ["c-02-01"],
    )
    assert store.lookup(secret) == token and token.as_dict()["areas"] == ["s-01", "c-02-01"]
    with pytest.raises(TokenError) as bad:
        store.create("/s", ["lianxi.ticket.*"], areas=["east-street"])
    assert (bad.value.field, bad.value.rule) == ("areas", "pattern")
    store.close()


def test_no_token_may_send_the_platforms_own_events(tmp_path: Path) -> None:
    """A forged lianxi.alert.acknowledged would silence an alert and a forged
    lianxi.quality.event_rejected would blame a feed: only the platform writes them."""
    store = TokenStore(tmp_path / "tokens.sqlite3")
    try:
        secret, _ = store.create("/systems/anything", ["lianxi.*"])
        token = store.lookup(secret)
        assert token is not None
        assert token.allows("lianxi.ticket.opened")
        assert not token.allows("lianxi.alert.acknowledged")
        assert not token.allows("lianxi.quality.event_rejected")
        # A secretary's acknowledgement grant works on POST /v1/alerts/{id}/ack only.
        secret, _ = store.create(
            "/systems/secretary-app", ["lianxi.alert.acknowledged"], areas=["s-01"]
        )
        ack = store.lookup(secret)
        assert ack is not None
        assert ack.grants("lianxi.alert.acknowledged") and not ack.allows(
            "lianxi.alert.acknowledged"
        )
    finally:
        store.close()
