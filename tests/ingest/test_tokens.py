"""Tokens: hashed at rest, scoped by globs, revocable."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.tokens import TokenError, TokenStore, hash_secret


def test_create_lookup_revoke(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens.sqlite3")
    secret, token = store.create("/systems/hotline-12345", ["lianxi.ticket.*"], note="hotline")
    found = store.lookup(secret)
    assert found is not None and found.token_id == token.token_id and found.source == "/systems/hotline-12345"
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
    _, token = store.create("/grid", ["lianxi.ticket.opened,lianxi.ticket.responded", "lianxi.wish.*"])
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
def test_bad_requests_say_why(tmp_path: Path, source: str, types: list[str], field: str, rule: str) -> None:
    store = TokenStore(tmp_path / "t.sqlite3")
    with pytest.raises(TokenError) as info:
        store.create(source, types)
    assert (info.value.field, info.value.rule) == (field, rule)
    store.close()
