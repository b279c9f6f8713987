"""Bearer-token authentication and per-event scope checks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ingest.api.errors import item, refused
from ingest.tokens import Token, TokenStore

bearer = HTTPBearer(
    auto_error=False,
    description="发布方令牌（lianxi tokens create） / publisher token (lianxi tokens create)",
)


def store_of(request: Request) -> TokenStore:
    store: TokenStore = request.app.state.tokens
    return store


def authenticate(store: TokenStore, secret: str | None) -> Token:
    if not secret:
        raise refused(
            401,
            "unauthorized",
            "send 'Authorization: Bearer <token>'; tokens come from `lianxi tokens create`",
            "Authorization",
            "bearer_required",
            "no bearer token given",
            headers={"WWW-Authenticate": "Bearer"},
        )
    token = store.lookup(secret)
    if token is None:
        raise refused(
            401,
            "unauthorized",
            "unknown or revoked token",
            "Authorization",
            "token_unknown",
            "the token is not known or was revoked",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return token


async def current_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Token:
    # async: the lookup is one indexed SQLite read (microseconds); a plain `def` dependency
    # would cost a thread-pool hop per request.
    return authenticate(store_of(request), credentials.credentials if credentials else None)


CurrentToken = Annotated[Token, Depends(current_token)]


def scope_errors(token: Token, events: list[Any]) -> list[dict[str, Any]]:
    """Events whose source or type the token does not cover."""
    errors = []
    allowed: dict[str, bool] = {}  # per type: the glob match once per request, not per event
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            continue
        source, event_type = event.get("source"), event.get("type")
        if isinstance(source, str) and source != token.source:
            errors.append(
                item(
                    index,
                    "source",
                    "token_source",
                    f"this token publishes only for source {token.source!r}",
                )
            )
        if not isinstance(event_type, str):
            continue
        ok = allowed.get(event_type)
        if ok is None:
            ok = allowed[event_type] = token.allows(event_type)
        if not ok:
            errors.append(
                item(
                    index, "type", "token_scope", f"this token covers only {', '.join(token.types)}"
                )
            )
    return errors
