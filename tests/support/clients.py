"""Logged-in test clients: bearer-token API clients and cookie-session browsers."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.databases import DEMO_PASSWORD

BASE_URL = "https://testserver"


def api_client(app: FastAPI, username: str, password: str = DEMO_PASSWORD) -> TestClient:
    """A client that authenticates with a bearer token obtained by password."""
    client = TestClient(app, base_url=BASE_URL)
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return client


def web_client(app: FastAPI, username: str, password: str = DEMO_PASSWORD) -> TestClient:
    """A client logged in through the login form, carrying the session and CSRF cookies."""
    client = TestClient(app, base_url=BASE_URL, follow_redirects=False)
    client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(client)},
    )
    assert response.status_code == 303, response.text
    client.headers["X-CSRF-Token"] = csrf_of(client)
    return client


def csrf_of(client: TestClient) -> str:
    return client.cookies.get("jg_csrf") or ""
