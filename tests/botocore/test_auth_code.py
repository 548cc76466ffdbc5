"""The authorization-code + PKCE flow as the AWS CLI drives it (aws-protocols.md §2.6): the browser's
`/authorize` (here with auto-approval on, not following the redirect), then CreateToken; and every
way the exchange must fail."""

import urllib.parse
import uuid

import pytest

from emulator import (
    ACCOUNT_ACCESS,
    CLI_TEST_PORT,
    DEMO,
    REGISTERED_REDIRECT,
    assert_oidc_error,
    authorize_url,
    http,
    pkce_pair,
)

FIRST_USER = DEMO["users"][0]["user_name"]
REDIRECT = f"http://127.0.0.1:{CLI_TEST_PORT}/oauth/callback"
# How long an authorization code waits for its exchange (the emulator's; AWS does not document it).
AUTH_CODE_LIFETIME_SECS = 600


class Flow:
    """One registration and one approved /authorize round trip."""

    def __init__(self, emu):
        self.oidc = emu.oidc()
        reg = self.oidc.register_client(
            clientName="botocore-client-my-sso",
            clientType="public",
            grantTypes=["authorization_code", "refresh_token"],
            redirectUris=[REGISTERED_REDIRECT],
            issuerUrl=emu.start_url,
            scopes=[ACCOUNT_ACCESS],
        )
        self.client_id, self.client_secret = reg["clientId"], reg["clientSecret"]
        self.verifier, challenge = pkce_pair()
        self.state = str(uuid.uuid4())
        emu.auto_approve("")
        self.status, headers, _ = http(
            "GET", authorize_url(emu.urls["oidc"], self.client_id, REDIRECT, self.state, challenge)
        )
        self.location = headers.get("Location", "")
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.location).query)
        self.code = query.get("code", [None])[0]
        self.returned_state = query.get("state", [None])[0]

    def exchange(self, code=None, verifier=None, redirect_uri=REDIRECT):
        return self.oidc.create_token(
            grantType="authorization_code",
            clientId=self.client_id,
            clientSecret=self.client_secret,
            code=code or self.code,
            codeVerifier=verifier or self.verifier,
            redirectUri=redirect_uri,
        )


def test_authorize_redirects_back_with_code_and_state(emu):
    f = Flow(emu)
    assert f.status == 302
    assert f.location.startswith(REDIRECT + "?"), f.location
    assert f.code
    assert f.returned_state == f.state


def test_code_exchange_gives_tokens_for_the_approving_user(emu):
    f = Flow(emu)
    token = f.exchange()
    assert token["accessToken"].startswith("aoa")
    assert token["refreshToken"].startswith("aor")
    assert token["tokenType"] == "Bearer"
    assert token["expiresIn"] == DEMO["sessions"]["access_token_minutes"] * 60
    accounts = emu.portal().list_accounts(accessToken=token["accessToken"])["accountList"]
    expected = {a["account"] for a in DEMO["assignments"] if a["user"] == FIRST_USER}
    assert {a["accountId"] for a in accounts} == expected


def test_wrong_verifier_is_invalid_grant(emu):
    f = Flow(emu)
    other_verifier, _ = pkce_pair()
    with pytest.raises(f.oidc.exceptions.InvalidGrantException) as e:
        f.exchange(verifier=other_verifier)
    assert_oidc_error(e, "InvalidGrantException", 400, "invalid_grant")


def test_code_is_single_use(emu):
    f = Flow(emu)
    f.exchange()
    with pytest.raises(f.oidc.exceptions.InvalidGrantException) as e:
        f.exchange()
    assert_oidc_error(e, "InvalidGrantException", 400, "invalid_grant")


def test_redirect_uri_must_be_the_one_used_at_authorize(emu):
    f = Flow(emu)
    with pytest.raises(f.oidc.exceptions.InvalidGrantException) as e:
        f.exchange(redirect_uri=f"http://127.0.0.1:{CLI_TEST_PORT + 1}/oauth/callback")
    assert_oidc_error(e, "InvalidGrantException", 400, "invalid_grant")


def test_expired_code(emu):
    f = Flow(emu)
    emu.advance(AUTH_CODE_LIFETIME_SECS + 1)
    with pytest.raises(f.oidc.exceptions.ExpiredTokenException) as e:
        f.exchange()
    assert_oidc_error(e, "ExpiredTokenException", 400, "expired_token")


def test_unregistered_redirect_is_not_followed(emu):
    oidc = emu.oidc()
    reg = oidc.register_client(
        clientName="botocore-client-my-sso",
        clientType="public",
        grantTypes=["authorization_code", "refresh_token"],
        redirectUris=[REGISTERED_REDIRECT],
        issuerUrl=emu.start_url,
        scopes=[ACCOUNT_ACCESS],
    )
    emu.auto_approve("")
    _, challenge = pkce_pair()
    status, headers, _ = http(
        "GET",
        authorize_url(emu.urls["oidc"], reg["clientId"], "http://127.0.0.1:5000/elsewhere", "s", challenge),
    )
    assert status == 400
    assert headers.get("Location") is None
