"""The stack's Superset: healthy, Chinese by default, its REST API usable with the admin login."""

import html

import httpx


def test_superset_answers_health(superset_url: str) -> None:
    response = httpx.get(f"{superset_url}/health")
    assert response.status_code == 200
    assert response.text == "OK"


def test_login_page_speaks_chinese_and_offers_english(superset_url: str) -> None:
    page = html.unescape(httpx.get(f"{superset_url}/login/").text)
    assert '"locale": "zh"' in page
    assert "lang/en" in page


def test_admin_can_use_the_rest_api_with_a_csrf_token(
    superset_url: str, superset_admin: tuple[str, str]
) -> None:
    user, password = superset_admin
    with httpx.Client(base_url=superset_url) as client:
        login = client.post(
            "/api/v1/security/login",
            json={"username": user, "password": password, "provider": "db", "refresh": True},
        )
        assert login.status_code == 200, login.text
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        csrf = client.get("/api/v1/security/csrf_token/")
        assert csrf.status_code == 200
        client.headers["X-CSRFToken"] = csrf.json()["result"]
        client.headers["Referer"] = superset_url

        me = client.get("/api/v1/me/")
        assert me.status_code == 200
        assert me.json()["result"]["username"] == user
        # A write through the API: what the dashboards provisioning does at import time.
        created = client.post("/api/v1/dashboard/", json={"dashboard_title": "infra-test 临时"})
        assert created.status_code == 201, created.text
        deleted = client.delete(f"/api/v1/dashboard/{created.json()['id']}")
        assert deleted.status_code == 200


def test_wrong_password_is_refused(superset_url: str, superset_admin: tuple[str, str]) -> None:
    response = httpx.post(
        f"{superset_url}/api/v1/security/login",
        json={"username": superset_admin[0], "password": "wrong", "provider": "db"},
    )
    assert response.status_code == 401
