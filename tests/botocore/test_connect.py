"""Amazon Connect (aws-protocols.md §4) with SigV4 role credentials from the portal's
GetRoleCredentials, in each instance's own region: ListInstances (with botocore's paginator),
DescribeInstance, GetFederationToken and its refusals, ListUsers, and refused signatures."""

import datetime

import botocore.exceptions
import pytest

from emulator import DEMO, PAGING, assert_error, role_credentials, sign_in

JORDAN = "jordan.lee@example.com"
TAYLOR = "taylor.kim@example.com"
SAM = "sam.chen@example.com"
PAT = "pat.doe@example.com"
PROD = "111122223333"
OPS_A = "210987654321"


def instance(org, alias):
    return next(i for i in org["connect_instances"] if i["alias"] == alias)


def partition(region):
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def arn(i):
    return f"arn:{partition(i['region'])}:connect:{i['region']}:{i['account']}:instance/{i['id']}"


def site(emu, i):
    """The emulator URL standing for the instance's site root."""
    if i.get("domain", "new") == "legacy":
        return emu.web(f"{i['alias']}.awsapps.com", "/connect")
    return emu.web(f"{i['alias']}.my.connect.aws")


def connect_as(emu, user, account, role, region):
    return emu.connect(role_credentials(emu, user, account, role), region)


def test_list_instances_in_the_signed_region(emu):
    creds = role_credentials(emu, JORDAN, PROD, "ConnectAgent")
    for alias in ("acme-prod", "acme-emea"):
        i = instance(DEMO, alias)
        out = emu.connect(creds, i["region"]).list_instances()
        assert [s["Id"] for s in out["InstanceSummaryList"]] == [i["id"]]
        summary = out["InstanceSummaryList"][0]
        assert summary["Arn"] == arn(i)
        assert summary["InstanceAlias"] == alias
        assert summary["IdentityManagementType"] == "SAML"
        assert summary["InstanceStatus"] == "ACTIVE"
        assert summary["InstanceAccessUrl"] == site(emu, i)


def test_list_instances_govcloud(emu):
    i = instance(DEMO, "acme-gov")
    out = connect_as(emu, SAM, i["account"], "ConnectSupervisor", i["region"]).list_instances()
    assert [s["Arn"] for s in out["InstanceSummaryList"]] == [arn(i)]
    assert arn(i).startswith("arn:aws-us-gov:connect:us-gov-west-1:")


def test_list_instances_paginator(paging_emu):
    c = connect_as(paging_emu, PAT, OPS_A, "ConnectAgent", "eu-west-2")
    pages = list(c.get_paginator("list_instances").paginate(PaginationConfig={"PageSize": 1}))
    assert [len(p["InstanceSummaryList"]) for p in pages] == [1, 1, 1]
    listed = [s["InstanceAlias"] for p in pages for s in p["InstanceSummaryList"]]
    expected = [
        i["alias"] for i in PAGING["connect_instances"] if i["account"] == OPS_A and i["region"] == "eu-west-2"
    ]
    assert listed == expected == ["ops-one", "ops-two", "ops-three"]


def test_describe_instance(emu):
    i = instance(DEMO, "acme-emea")
    out = connect_as(emu, JORDAN, PROD, "ConnectAgent", i["region"]).describe_instance(InstanceId=i["id"])
    d = out["Instance"]
    assert d["Id"] == i["id"]
    assert d["Arn"] == arn(i)
    assert d["InstanceAlias"] == "acme-emea"
    assert d["InstanceStatus"] == "ACTIVE"
    assert d["InstanceAccessUrl"] == site(emu, i)
    assert isinstance(d["CreatedTime"], datetime.datetime)
    assert d["ServiceRole"].startswith(f"arn:aws:iam::{PROD}:role/aws-service-role/connect.amazonaws.com/")


def test_describe_instance_of_another_account_is_not_found(emu):
    staging = instance(DEMO, "acme-staging")
    c = connect_as(emu, JORDAN, PROD, "ConnectAgent", staging["region"])
    with pytest.raises(c.exceptions.ResourceNotFoundException) as e:
        c.describe_instance(InstanceId=staging["id"])
    assert_error(e, "ResourceNotFoundException", 404)


def test_get_federation_token(emu):
    i = instance(DEMO, "acme-prod")
    c = connect_as(emu, JORDAN, PROD, "ConnectAgent", i["region"])
    out = c.get_federation_token(InstanceId=i["id"])
    creds = out["Credentials"]
    assert creds["AccessToken"] and creds["RefreshToken"]
    now = datetime.datetime.now(datetime.timezone.utc)
    assert now < creds["AccessTokenExpiration"] < creds["RefreshTokenExpiration"]
    assert out["UserId"]
    assert out["UserArn"] == f"{arn(i)}/agent/{out['UserId']}"
    assert out["SignInUrl"].startswith(site(emu, i) + "/")


def test_federation_token_for_a_user_not_onboarded(emu):
    emea = instance(DEMO, "acme-emea")
    assert JORDAN not in emea["users"]
    c = connect_as(emu, JORDAN, PROD, "ConnectAgent", emea["region"])
    with pytest.raises(c.exceptions.UserNotFoundException) as e:
        c.get_federation_token(InstanceId=emea["id"])
    assert_error(e, "UserNotFoundException", 404)


def test_federation_token_denied_to_a_role_without_the_permission(emu):
    i = instance(DEMO, "acme-prod")
    c = connect_as(emu, TAYLOR, PROD, "ReadOnlyAccess", i["region"])
    with pytest.raises(c.exceptions.AccessDeniedException) as e:
        c.get_federation_token(InstanceId=i["id"])
    assert_error(e, "AccessDeniedException", 403)
    assert "connect:GetFederationToken" in e.value.response["Error"]["Message"]


def test_wrong_secret_is_an_invalid_signature(emu):
    creds = role_credentials(emu, JORDAN, PROD, "ConnectAgent")
    creds = {**creds, "secretAccessKey": creds["secretAccessKey"][:-1] + "x"}
    c = emu.connect(creds, "us-east-1", attempts=1)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.list_instances()
    assert_error(e, "InvalidSignatureException", 403)


def test_unknown_access_key_is_an_unrecognized_client(emu):
    creds = role_credentials(emu, JORDAN, PROD, "ConnectAgent")
    creds = {**creds, "accessKeyId": "ASIAAAAAAAAAAAAAAAAA"}
    c = emu.connect(creds, "us-east-1", attempts=1)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.list_instances()
    assert_error(e, "UnrecognizedClientException", 403)


def test_list_users(emu):
    i = instance(DEMO, "acme-prod")
    c = connect_as(emu, JORDAN, PROD, "ConnectAgent", i["region"])
    users = c.list_users(InstanceId=i["id"])["UserSummaryList"]
    assert [u["Username"] for u in users] == i["users"]
    for u in users:
        assert u["Arn"] == f"{arn(i)}/agent/{u['Id']}"
    # The federated user's id is the one ListUsers gives for the same username.
    me = c.get_federation_token(InstanceId=i["id"])
    assert {u["Username"]: u["Id"] for u in users}[JORDAN] == me["UserId"]


def test_list_users_paginator(paging_emu):
    i = instance(PAGING, "ops-one")
    c = connect_as(paging_emu, PAT, OPS_A, "ConnectAgent", i["region"])
    pages = list(
        c.get_paginator("list_users").paginate(InstanceId=i["id"], PaginationConfig={"PageSize": 2})
    )
    assert [len(p["UserSummaryList"]) for p in pages] == [2, 2, 1]
    assert [u["Username"] for p in pages for u in p["UserSummaryList"]] == i["users"]


def test_role_credentials_outlive_logout(emu):
    s = sign_in(emu, JORDAN)
    portal = emu.portal()
    creds = portal.get_role_credentials(accessToken=s.access_token, accountId=PROD, roleName="ConnectAgent")[
        "roleCredentials"
    ]
    portal.logout(accessToken=s.access_token)
    out = emu.connect(creds, "us-east-1").list_instances()
    assert [x["InstanceAlias"] for x in out["InstanceSummaryList"]] == ["acme-prod"]
