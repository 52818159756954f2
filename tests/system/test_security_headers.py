"""Strict headers and cookies on every response."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def directives(header: str) -> dict:
    parts = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {name: value for name, value in parts}


@pytest.mark.parametrize(
    "url",
    ["/accounts/login/", "/backups/", "/healthz", "/nowhere/", "/audit/", "/static/css/panel.css"],
)
def test_it_sends_strict_headers_on_every_response(operator_client, sandbox, url):
    response = operator_client.get(url, secure=True)
    csp = directives(response["Content-Security-Policy"])
    for name, value in CSP.items():
        assert csp[name] == value, name
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")


def test_it_sets_host_prefixed_secure_httponly_lax_cookies(client, operator):
    page = client.get("/accounts/login/", secure=True)
    csrf = page.cookies["__Host-csrftoken"]
    response = client.post(
        "/accounts/login/",
        {
            "username": "olivia",
            "password": "correct horse battery staple",
            "csrfmiddlewaretoken": csrf.value,
        },
        secure=True,
    )
    assert response.status_code == 302
    session = response.cookies["__Host-sessionid"]
    for cookie in (csrf, session):
        assert cookie["secure"] and cookie["httponly"]
        assert cookie["samesite"] == "Lax" and cookie["path"] == "/"
        assert not cookie["domain"]


def test_it_uses_no_inline_script_or_style(operator_client, sandbox):
    body = operator_client.get("/backups/").content.decode()
    assert "<script>" not in body and " style=" not in body and "<style" not in body
    assert "onclick" not in body and "hx-on" not in body


def test_it_answers_a_stale_form_with_an_explanation(client, operator):
    client.handler.enforce_csrf_checks = True
    client.force_login(operator)
    response = client.post("/backups/new/", {"server_id": 1})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()


def test_it_refuses_an_upload_before_anything_parses_it(client, monkeypatch):
    from django.core.files import uploadhandler

    written = []
    monkeypatch.setattr(
        uploadhandler.TemporaryFileUploadHandler, "new_file", lambda *a, **k: written.append(a)
    )
    big = SimpleUploadedFile("x.bin", b"x" * (3 * 2**20))
    for url in ("/accounts/login/", "/backups/new/", "/nowhere/"):
        response = client.post(url, {"file": big}, content_type=MULTIPART_CONTENT)
        assert response.status_code == 415, url
    assert written == []


def test_it_answers_a_host_it_does_not_serve_with_a_small_page_and_the_same_headers(client, db):
    response = client.get("/backups/", HTTP_HOST="evil.example", secure=True)
    assert response.status_code == 400
    csp = directives(response["Content-Security-Policy"])
    for name, value in CSP.items():
        assert csp[name] == value, name
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]
    body = response.content.decode()
    assert "Bad request" in body
    assert "csrfmiddlewaretoken" not in body and "X-CSRFToken" not in body


@pytest.mark.parametrize("url", ["/accounts/login/", "/healthz", "/nowhere/"])
def test_it_switches_off_browser_features_the_panel_never_uses(client, db, url):
    policy = client.get(url)["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy


def test_it_sends_the_same_headers_with_the_redirect_to_https(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    for url in ("/backups/", "/accounts/login/", "/static/css/panel.css"):
        response = client.get(url)
        assert response.status_code == 301 and response["Location"].startswith("https://")
        csp = directives(response["Content-Security-Policy"])
        for name, value in CSP.items():
            assert csp[name] == value, (url, name)
        assert response["X-Frame-Options"] == "DENY"
        assert "camera=()" in response["Permissions-Policy"]


def test_it_loads_no_htmx_on_the_sign_in_page(operator_client, sandbox):
    from tests.helpers import FormClient

    signing_in = FormClient().get("/accounts/login/").content.decode()
    assert "htmx" not in signing_in and "/static/js/panel.js" in signing_in
    assert "htmx" in operator_client.get("/backups/").content.decode()
