"""A logged-in session on Superset's REST API (JWT for the API, session cookie + CSRF for writes)."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Self

import httpx


class SupersetError(RuntimeError):
    """Superset refused a request; carries the status and Superset's JSON message."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        super().__init__(f"{method} {path} -> HTTP {status}: {body}")
        self.status = status
        self.body = body


class SupersetSession:
    def __init__(self, base_url: str, username: str, password: str, timeout: float = 120.0) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=timeout)
        token = self._json(
            "POST",
            "/api/v1/security/login",
            json={"username": username, "password": password, "provider": "db", "refresh": False},
        )
        self.client.headers["Authorization"] = f"Bearer {token['access_token']}"
        # The CSRF token is bound to the session cookie this call sets on the client.
        csrf = self._json("GET", "/api/v1/security/csrf_token/")
        self.client.headers["X-CSRFToken"] = csrf["result"]
        self.client.headers["Referer"] = base_url

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                body: Any = response.json()
            except ValueError:
                body = response.text[:500]
            raise SupersetError(method, path, response.status_code, body)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, path, **kwargs).json()

    def get(self, path: str, **kwargs: Any) -> Any:
        return self._json("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self._json("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self._json("PUT", path, **kwargs)

    def delete(self, path: str) -> Any:
        return self._json("DELETE", path)

    def list_all(self, resource: str, columns: list[str] | None = None) -> list[dict[str, Any]]:
        """Every row of a list endpoint, following pages."""
        rows: list[dict[str, Any]] = []
        page = 0
        while True:
            query = (
                f"(page:{page},page_size:100"
                + (f",columns:!({','.join(columns)})" if columns else "")
                + ")"
            )
            body = self.get(f"/api/v1/{resource}/", params={"q": query})
            rows.extend(body["result"])
            if len(body["result"]) < 100:
                return rows
            page += 1


@contextmanager
def browser_session(
    base_url: str, username: str, password: str, timeout: float = 60.0
) -> Iterator[httpx.Client]:
    """A client logged in through Superset's own login form, as a browser is: the views outside
    /api/v1 (SQL Lab's tabs, drill to detail's samples) take the session cookie, not the JWT.
    Its headers carry the CSRF token and Referer that writes need."""
    with httpx.Client(base_url=base_url, timeout=timeout) as client:
        form = client.get("/login/").text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
        if token is None:
            raise RuntimeError(f"{base_url}/login/ has no CSRF token: is this Superset?")
        done = client.post(
            "/login/", data={"username": username, "password": password, "csrf_token": token[1]}
        )
        # A good login redirects to the welcome page; a bad one renders the form again.
        if done.status_code != 302:
            raise SupersetError(
                "POST", "/login/", done.status_code, f"Superset refused the login of {username!r}"
            )
        client.headers["X-CSRFToken"] = client.get("/api/v1/security/csrf_token/").json()["result"]
        client.headers["Referer"] = base_url
        yield client
