"""sso-oidc RegisterClient (aws-protocols.md §2.1): both variants the AWS CLI sends, and the
registrations the service refuses."""

import time

import pytest

from emulator import ACCOUNT_ACCESS, DEMO, REGISTERED_REDIRECT, assert_oidc_error, register

# How far clientIdIssuedAt may be from this machine's clock.
ISSUED_AT_TOLERANCE_SECS = 60
SECONDS_PER_DAY = 86_400


def test_device_variant_registers_a_public_client(emu):
    reg = emu.oidc().register_client(clientName="botocore-client-my-sso", clientType="public")
    assert reg["clientId"] and reg["clientSecret"]
    assert reg["clientSecret"].startswith("eyJ")
    assert abs(reg["clientIdIssuedAt"] - time.time()) < ISSUED_AT_TOLERANCE_SECS
    days = DEMO["sessions"]["client_registration_days"]
    assert reg["clientSecretExpiresAt"] - reg["clientIdIssuedAt"] == days * SECONDS_PER_DAY


def test_each_registration_is_a_new_client(emu):
    oidc = emu.oidc()
    a, b = register(oidc), register(oidc)
    assert a["clientId"] != b["clientId"]
    assert a["clientSecret"] != b["clientSecret"]


def test_auth_code_variant_registers(emu):
    reg = emu.oidc().register_client(
        clientName="botocore-client-my-sso",
        clientType="public",
        grantTypes=["authorization_code", "refresh_token"],
        redirectUris=[REGISTERED_REDIRECT],
        issuerUrl=emu.start_url,
        scopes=[ACCOUNT_ACCESS],
    )
    assert reg["clientId"] and reg["clientSecret"]
    assert reg["clientSecretExpiresAt"] > reg["clientIdIssuedAt"]


def test_client_type_other_than_public_is_refused(emu):
    oidc = emu.oidc()
    with pytest.raises(oidc.exceptions.InvalidClientMetadataException) as e:
        oidc.register_client(clientName="x", clientType="confidential")
    assert_oidc_error(e, "InvalidClientMetadataException", 400, "invalid_client_metadata")


@pytest.mark.parametrize("uri", ["https://app.example.com/oauth/callback", "not a uri"])
def test_redirect_uri_off_the_loopback_is_refused(emu, uri):
    oidc = emu.oidc()
    with pytest.raises(oidc.exceptions.InvalidRedirectUriException) as e:
        oidc.register_client(
            clientName="x",
            clientType="public",
            grantTypes=["authorization_code", "refresh_token"],
            redirectUris=[uri],
            issuerUrl=emu.start_url,
            scopes=[ACCOUNT_ACCESS],
        )
    assert_oidc_error(e, "InvalidRedirectUriException", 400, "invalid_redirect_uri")


def test_unknown_grant_type_is_refused(emu):
    oidc = emu.oidc()
    with pytest.raises(oidc.exceptions.UnsupportedGrantTypeException) as e:
        oidc.register_client(clientName="x", clientType="public", grantTypes=["client_credentials"])
    assert_oidc_error(e, "UnsupportedGrantTypeException", 400, "unsupported_grant_type")
