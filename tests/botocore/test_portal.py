"""The IAM Identity Center portal (aws-protocols.md §3): ListAccounts and ListAccountRoles with
paging (by hand and with botocore's paginators), GetRoleCredentials, the unmodelled 403, bad tokens,
throttling with and without botocore's standard retries, and Logout."""

import botocore.exceptions
import pytest

from emulator import DEMO, PAGING, assert_error, now_ms, sign_in

TAYLOR = "taylor.kim@example.com"
PAT = "pat.doe@example.com"
OPS_A = "210987654321"
# How far GetRoleCredentials' expiration may be from what this machine's clock predicts.
EXPIRATION_TOLERANCE_MS = 60_000
# The rate limit of the throttling test, requests per second (the burst is as large).
LOW_RATE_LIMIT = 10
# A bound on the calls it may take to exhaust that burst.
MAX_CALLS_TO_THROTTLE = 3 * LOW_RATE_LIMIT
# Attempts botocore's standard retries get in the throttling tests.
RETRY_ATTEMPTS = 6


def expected_accounts(org, user):
    ids = {a["account"] for a in org["assignments"] if a["user"] == user}
    return [
        {"accountId": a["id"], "accountName": a["name"], "emailAddress": a["email"]}
        for a in org["accounts"]
        if a["id"] in ids
    ]


def expected_roles(org, user, account):
    return [
        {"roleName": a["permission_set"], "accountId": account}
        for a in org["assignments"]
        if a["user"] == user and a["account"] == account
    ]


def test_list_accounts(emu):
    s = sign_in(emu, TAYLOR)
    out = emu.portal().list_accounts(accessToken=s.access_token)
    assert out["accountList"] == expected_accounts(DEMO, TAYLOR)
    assert out.get("nextToken") is None


def test_list_accounts_by_hand_one_per_page(emu):
    s = sign_in(emu, TAYLOR)
    portal = emu.portal()
    seen, token, pages = [], None, 0
    while True:
        args = {"accessToken": s.access_token, "maxResults": 1}
        if token:
            args["nextToken"] = token
        out = portal.list_accounts(**args)
        pages += 1
        assert len(out["accountList"]) == 1
        seen += out["accountList"]
        token = out.get("nextToken")
        if not token:
            break
    assert pages == 3
    assert seen == expected_accounts(DEMO, TAYLOR)


def test_list_accounts_paginator(paging_emu):
    s = sign_in(paging_emu, PAT)
    pages = list(
        paging_emu.portal()
        .get_paginator("list_accounts")
        .paginate(accessToken=s.access_token, PaginationConfig={"PageSize": 1})
    )
    assert [len(p["accountList"]) for p in pages] == [1, 1, 1, 1]
    assert [a for p in pages for a in p["accountList"]] == expected_accounts(PAGING, PAT)


def test_user_without_assignments_has_no_accounts(paging_emu):
    s = sign_in(paging_emu, "lee.roe@example.com")
    out = paging_emu.portal().list_accounts(accessToken=s.access_token)
    assert out["accountList"] == []
    assert out.get("nextToken") is None


def test_list_account_roles(emu):
    s = sign_in(emu, TAYLOR)
    out = emu.portal().list_account_roles(accessToken=s.access_token, accountId="111122223333")
    assert out["roleList"] == [{"roleName": "ReadOnlyAccess", "accountId": "111122223333"}]


def test_list_account_roles_paginator(paging_emu):
    s = sign_in(paging_emu, PAT)
    pages = list(
        paging_emu.portal()
        .get_paginator("list_account_roles")
        .paginate(accessToken=s.access_token, accountId=OPS_A, PaginationConfig={"PageSize": 1})
    )
    assert [len(p["roleList"]) for p in pages] == [1, 1, 1]
    assert [r for p in pages for r in p["roleList"]] == expected_roles(PAGING, PAT, OPS_A)


def test_list_account_roles_by_hand_two_per_page(paging_emu):
    s = sign_in(paging_emu, PAT)
    portal = paging_emu.portal()
    first = portal.list_account_roles(accessToken=s.access_token, accountId=OPS_A, maxResults=2)
    assert len(first["roleList"]) == 2 and first["nextToken"]
    second = portal.list_account_roles(
        accessToken=s.access_token, accountId=OPS_A, maxResults=2, nextToken=first["nextToken"]
    )
    assert len(second["roleList"]) == 1 and second.get("nextToken") is None
    assert first["roleList"] + second["roleList"] == expected_roles(PAGING, PAT, OPS_A)


def test_get_role_credentials(emu):
    s = sign_in(emu, TAYLOR)
    creds = emu.portal().get_role_credentials(
        accessToken=s.access_token, accountId="111122223333", roleName="ReadOnlyAccess"
    )["roleCredentials"]
    assert creds["accessKeyId"].startswith("ASIA") and len(creds["accessKeyId"]) == 20
    assert creds["secretAccessKey"] and creds["sessionToken"]
    assert creds["expiration"] > 1e12, "expiration must be epoch milliseconds"
    lifetime_ms = DEMO["sessions"]["role_credentials_minutes"] * 60 * 1000
    assert abs(creds["expiration"] - (now_ms() + lifetime_ms)) < EXPIRATION_TOLERANCE_MS


def test_unassigned_role_is_forbidden(emu):
    s = sign_in(emu, TAYLOR)
    portal = emu.portal()
    with pytest.raises(botocore.exceptions.ClientError) as e:
        portal.get_role_credentials(accessToken=s.access_token, accountId="111122223333", roleName="ConnectAgent")
    assert_error(e, "ForbiddenException", 403)
    assert e.value.response["Error"]["Message"] == "No access"


def test_bad_token_is_unauthorized(emu):
    portal = emu.portal()
    with pytest.raises(portal.exceptions.UnauthorizedException) as e:
        portal.list_accounts(accessToken="aoa-not-a-token")
    assert_error(e, "UnauthorizedException", 401)
    assert e.value.response["Error"]["Message"] == "Session token not found or invalid"


def test_expired_token_is_unauthorized(emu):
    s = sign_in(emu, TAYLOR)
    emu.advance(s.token["expiresIn"] + 1)
    portal = emu.portal()
    with pytest.raises(portal.exceptions.UnauthorizedException) as e:
        portal.list_accounts(accessToken=s.access_token)
    assert_error(e, "UnauthorizedException", 401)


def test_injected_throttle_is_retried_by_standard_retries(emu):
    s = sign_in(emu, TAYLOR)
    emu.add_faults("ListAccounts:throttle:1")
    out = emu.portal(attempts=RETRY_ATTEMPTS).list_accounts(accessToken=s.access_token)
    assert out["accountList"] == expected_accounts(DEMO, TAYLOR)
    assert out["ResponseMetadata"]["RetryAttempts"] == 1


def test_injected_throttle_without_retries(emu):
    s = sign_in(emu, TAYLOR)
    emu.add_faults("ListAccounts:throttle:1")
    portal = emu.portal(attempts=1)
    with pytest.raises(portal.exceptions.TooManyRequestsException) as e:
        portal.list_accounts(accessToken=s.access_token)
    assert_error(e, "TooManyRequestsException", 429)
    # The rule was used up: the next call goes through.
    assert portal.list_accounts(accessToken=s.access_token)["accountList"]


def test_rate_limit_throttles_and_retries_recover(emu):
    s = sign_in(emu, TAYLOR)
    once = emu.portal(attempts=1)
    retrying = emu.portal(attempts=RETRY_ATTEMPTS)
    emu.rate_limit(LOW_RATE_LIMIT)
    throttled = None
    for _ in range(MAX_CALLS_TO_THROTTLE):
        try:
            once.list_accounts(accessToken=s.access_token)
        except once.exceptions.TooManyRequestsException as e:
            throttled = e
            break
    assert throttled is not None, f"{MAX_CALLS_TO_THROTTLE} calls at once were not throttled at {LOW_RATE_LIMIT}/s"
    assert_error(throttled, "TooManyRequestsException", 429)
    # A second's worth of calls back to back, with the bucket empty: some are throttled, and
    # botocore's standard retries carry every one of them through.
    retries = 0
    for _ in range(LOW_RATE_LIMIT):
        out = retrying.list_accounts(accessToken=s.access_token)
        assert out["accountList"] == expected_accounts(DEMO, TAYLOR)
        retries += out["ResponseMetadata"]["RetryAttempts"]
    assert retries >= 1


def test_logout_ends_the_session(emu):
    s = sign_in(emu, TAYLOR)
    portal = emu.portal()
    out = portal.logout(accessToken=s.access_token)
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(portal.exceptions.UnauthorizedException) as e:
        portal.list_accounts(accessToken=s.access_token)
    assert_error(e, "UnauthorizedException", 401)


def test_logout_leaves_other_sessions_alone(emu):
    a = sign_in(emu, TAYLOR)
    b = sign_in(emu, TAYLOR)
    portal = emu.portal()
    portal.logout(accessToken=a.access_token)
    assert portal.list_accounts(accessToken=b.access_token)["accountList"] == expected_accounts(DEMO, TAYLOR)
