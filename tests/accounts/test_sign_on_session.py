"""Single sign-on's connections pass the outbound rule, but for the issuer the deployer chose."""

import pytest
import responses

from backupsui import outbound
from backupsui.accounts.adapters import SocialAccountAdapter
from backupsui.accounts.sign_on_session import EndpointRefused

ISSUER = "http://127.0.0.1:9400/o"


@pytest.fixture
def names(monkeypatch, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {"APPS": [{"provider_id": "sso", "settings": {"server_url": ISSUER}}]}
    }
    table = outbound.Table({"idp.example": ["93.184.216.34"], "rebound.example": ["127.0.0.1"]})
    monkeypatch.setattr(outbound, "resolver", table)
    return table


@responses.activate
def test_it_connects_to_the_issuer_the_deployer_chose_even_on_loopback(names):
    responses.get(f"{ISSUER}/.well-known/openid-configuration", json={"issuer": ISSUER})
    session = SocialAccountAdapter().get_requests_session()
    assert session.get(f"{ISSUER}/.well-known/openid-configuration").json() == {"issuer": ISSUER}


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1:6379/token",  # the issuer's host, another port
        "https://169.254.169.254/latest/meta-data/",
        "https://rebound.example/userinfo",
        "https://idp.example:8443/jwks",
        "https://[::ffff:10.0.0.1]/token",
    ],
)
@responses.activate
def test_it_refuses_endpoints_elsewhere_that_the_rule_refuses_before_sending(names, endpoint):
    session = SocialAccountAdapter().get_requests_session()
    with pytest.raises(EndpointRefused):
        session.post(endpoint, data={"code": "x"})
    assert len(responses.calls) == 0


@responses.activate
def test_it_connects_to_public_endpoints_the_discovery_names(names):
    responses.post("https://idp.example/token", json={"access_token": "a"})
    session = SocialAccountAdapter().get_requests_session()
    assert session.post("https://idp.example/token").json() == {"access_token": "a"}
