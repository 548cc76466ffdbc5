"""Refreshing the SSO access token (aws-protocols.md §2.7): a refresh gives a working new token, the
used refresh token stops working, and revoking refresh tokens or the session ends refreshing."""

import pytest

from emulator import DEMO, assert_error, assert_oidc_error, sign_in

USER = "sam.chen@example.com"


def refresh(emu, s, refresh_token=None):
    return emu.oidc().create_token(
        grantType="refresh_token",
        clientId=s.client_id,
        clientSecret=s.client_secret,
        refreshToken=refresh_token or s.refresh_token,
    )


def test_refresh_after_the_access_token_expired(emu):
    s = sign_in(emu, USER)
    portal = emu.portal()
    emu.advance(s.token["expiresIn"] + 1)
    with pytest.raises(portal.exceptions.UnauthorizedException):
        portal.list_accounts(accessToken=s.access_token)

    new = refresh(emu, s)
    assert new["accessToken"].startswith("aoa") and new["accessToken"] != s.access_token
    assert new["refreshToken"].startswith("aor") and new["refreshToken"] != s.refresh_token
    assert new["expiresIn"] == DEMO["sessions"]["access_token_minutes"] * 60
    accounts = portal.list_accounts(accessToken=new["accessToken"])["accountList"]
    assert {a["accountId"] for a in accounts} == {"444455556666", "123456789012"}


def test_a_used_refresh_token_is_spent(emu):
    s = sign_in(emu, USER)
    refresh(emu, s)
    oidc = emu.oidc()
    with pytest.raises(oidc.exceptions.InvalidGrantException) as e:
        refresh(emu, s)
    assert_oidc_error(e, "InvalidGrantException", 400, "invalid_grant")


def test_revoked_refresh_tokens_fail_but_the_access_token_lives_on(emu):
    s = sign_in(emu, USER)
    emu.revoke(USER, "refresh")
    oidc = emu.oidc()
    with pytest.raises(oidc.exceptions.InvalidGrantException) as e:
        refresh(emu, s)
    assert_oidc_error(e, "InvalidGrantException", 400, "invalid_grant")
    assert emu.portal().list_accounts(accessToken=s.access_token)["accountList"]


def test_revoked_session_ends_tokens_and_refresh(emu):
    s = sign_in(emu, USER)
    emu.revoke(USER, "session")
    portal = emu.portal()
    with pytest.raises(portal.exceptions.UnauthorizedException) as e:
        portal.list_accounts(accessToken=s.access_token)
    assert_error(e, "UnauthorizedException", 401)
    with pytest.raises(emu.oidc().exceptions.InvalidGrantException):
        refresh(emu, s)


def test_refresh_token_of_another_client_is_refused(emu):
    s = sign_in(emu, USER)
    other = sign_in(emu, USER)
    oidc = emu.oidc()
    with pytest.raises(oidc.exceptions.InvalidGrantException) as e:
        oidc.create_token(
            grantType="refresh_token",
            clientId=other.client_id,
            clientSecret=other.client_secret,
            refreshToken=s.refresh_token,
        )
    assert_oidc_error(e, "InvalidGrantException", 400, "invalid_grant")


def test_portal_session_end_stops_refresh(emu):
    s = sign_in(emu, USER)
    emu.advance(DEMO["sessions"]["portal_session_minutes"] * 60 + 1)
    with pytest.raises(emu.oidc().exceptions.InvalidGrantException) as e:
        refresh(emu, s)
    assert_oidc_error(e, "InvalidGrantException", 400, "invalid_grant")
