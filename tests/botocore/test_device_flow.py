"""The device-code flow as the AWS CLI drives it (aws-protocols.md §2.2, §2.3, §2.5): pending,
slow_down, approval, token, single use; denial, expiry, and clients the service does not know."""

import re

import pytest

from emulator import (
    ACCOUNT_ACCESS,
    DEMO,
    DEVICE_GRANT,
    SLOW_DOWN_STEP_SECS,
    assert_oidc_error,
    register,
)

USER = "alex.rivera@example.com"
USER_CODE = re.compile(r"^[A-Z]{4}-[A-Z]{4}$")


def start(emu, scopes=(ACCOUNT_ACCESS,)):
    oidc = emu.oidc()
    reg = register(oidc, scopes)
    dev = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=emu.start_url
    )

    def poll():
        return oidc.create_token(
            grantType=DEVICE_GRANT,
            clientId=reg["clientId"],
            clientSecret=reg["clientSecret"],
            deviceCode=dev["deviceCode"],
        )

    return oidc, reg, dev, poll


def test_start_device_authorization_answers_as_aws_does(emu):
    _, _, dev, _ = start(emu)
    assert USER_CODE.match(dev["userCode"]), dev["userCode"]
    assert dev["deviceCode"]
    assert dev["expiresIn"] == DEMO["sessions"]["device_code_seconds"]
    assert dev["interval"] == DEMO["sessions"]["device_poll_interval_seconds"]
    region = DEMO["directory"]["region"]
    assert dev["verificationUri"] == emu.web(f"device.sso.{region}.amazonaws.com", "/")
    assert dev["verificationUriComplete"] == f"{dev['verificationUri']}?user_code={dev['userCode']}"


def test_pending_then_slow_down_then_approved_token(emu):
    oidc, _, dev, poll = start(emu)
    with pytest.raises(oidc.exceptions.AuthorizationPendingException) as e:
        poll()
    assert_oidc_error(e, "AuthorizationPendingException", 400, "authorization_pending")

    with pytest.raises(oidc.exceptions.SlowDownException) as e:
        poll()
    assert_oidc_error(e, "SlowDownException", 400, "slow_down")

    emu.approve(dev["userCode"], USER)
    emu.advance(dev["interval"] + SLOW_DOWN_STEP_SECS)
    token = poll()
    assert token["accessToken"].startswith("aoa")
    assert token["refreshToken"].startswith("aor")
    assert token["tokenType"] == "Bearer"
    assert token["expiresIn"] == DEMO["sessions"]["access_token_minutes"] * 60
    accounts = emu.portal().list_accounts(accessToken=token["accessToken"])["accountList"]
    assert [a["accountId"] for a in accounts] == ["444455556666"]


def test_no_refresh_token_without_registered_scopes(emu):
    _, _, dev, poll = start(emu, scopes=())
    emu.approve(dev["userCode"], USER)
    token = poll()
    assert token["accessToken"]
    assert "refreshToken" not in token


def test_device_code_is_single_use(emu):
    oidc, _, dev, poll = start(emu)
    emu.approve(dev["userCode"], USER)
    poll()
    emu.advance(dev["interval"])
    with pytest.raises(oidc.exceptions.InvalidGrantException) as e:
        poll()
    assert_oidc_error(e, "InvalidGrantException", 400, "invalid_grant")


def test_denied_authorization(emu):
    oidc, _, dev, poll = start(emu)
    emu.deny(dev["userCode"])
    with pytest.raises(oidc.exceptions.AccessDeniedException) as e:
        poll()
    assert_oidc_error(e, "AccessDeniedException", 400, "access_denied")


def test_expired_device_code(emu):
    oidc, _, dev, poll = start(emu)
    emu.advance(dev["expiresIn"] + 1)
    with pytest.raises(oidc.exceptions.ExpiredTokenException) as e:
        poll()
    assert_oidc_error(e, "ExpiredTokenException", 400, "expired_token")


def test_unknown_device_code(emu):
    oidc, reg, _, _ = start(emu)
    with pytest.raises(oidc.exceptions.InvalidGrantException) as e:
        oidc.create_token(
            grantType=DEVICE_GRANT,
            clientId=reg["clientId"],
            clientSecret=reg["clientSecret"],
            deviceCode="not-a-device-code",
        )
    assert_oidc_error(e, "InvalidGrantException", 400, "invalid_grant")


def test_unknown_client_is_invalid_client(emu):
    oidc, reg, dev, _ = start(emu)
    with pytest.raises(oidc.exceptions.InvalidClientException) as e:
        oidc.create_token(
            grantType=DEVICE_GRANT,
            clientId="bm90LWEtY2xpZW50dXMtZWFzdC0x",
            clientSecret=reg["clientSecret"],
            deviceCode=dev["deviceCode"],
        )
    assert_oidc_error(e, "InvalidClientException", 401, "invalid_client")


def test_wrong_client_secret_is_invalid_client(emu):
    oidc = emu.oidc()
    reg = register(oidc)
    with pytest.raises(oidc.exceptions.InvalidClientException) as e:
        oidc.start_device_authorization(
            clientId=reg["clientId"], clientSecret=reg["clientSecret"] + "x", startUrl=emu.start_url
        )
    assert_oidc_error(e, "InvalidClientException", 401, "invalid_client")


def test_expired_registration_is_invalid_client(emu):
    oidc = emu.oidc()
    reg = register(oidc)
    emu.advance(reg["clientSecretExpiresAt"] - reg["clientIdIssuedAt"] + 1)
    with pytest.raises(oidc.exceptions.InvalidClientException) as e:
        oidc.start_device_authorization(
            clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=emu.start_url
        )
    assert_oidc_error(e, "InvalidClientException", 401, "invalid_client")
