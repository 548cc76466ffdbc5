"""The botocore suite's harness: a real `aws-emulator` process and real botocore clients built as
the AWS CLI builds them, plus the flows tests start from (device sign-in, PKCE pair, authorize URL).

The emulator binary is `$AWS_EMULATOR_BIN`, else `debug/aws-emulator` in `$CARGO_TARGET_DIR`
(default `target/`); `cargo xtask test` builds it first.

Promises: botocore never reads the developer's AWS configuration or credentials and never reaches
past 127.0.0.1 (no config files, no instance metadata, no proxies); the emulator is stopped after
each test, even a failed one (see conftest.py).
"""

import base64
import hashlib
import json
import os
import pathlib
import secrets
import select
import subprocess
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request

import botocore.session
import pytest
from botocore import UNSIGNED
from botocore.config import Config

SUITE = pathlib.Path(__file__).resolve().parent
REPO = SUITE.parents[1]
DEMO_FIXTURE = REPO / "crates" / "aws-emulator" / "fixtures" / "demo.toml"
PAGING_FIXTURE = SUITE / "fixtures" / "paging.toml"

EMULATOR_BIN = os.environ.get("AWS_EMULATOR_BIN") or str(
    pathlib.Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target") / "debug" / "aws-emulator"
)

# botocore must see nothing of the machine's AWS setup, and must not look for instance metadata.
for _name in [n for n in os.environ if n.startswith("AWS_")]:
    del os.environ[_name]
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

# How long the emulator may take to print its announcement.
STARTUP_TIMEOUT_SECS = 30
# How long the emulator may take to stop after SIGTERM before it is killed.
SHUTDOWN_TIMEOUT_SECS = 10
# Timeout of one control-API or browser-style HTTP request.
HTTP_TIMEOUT_SECS = 10

# botocore's standard retry mode: attempts in all, the first included.
STANDARD_ATTEMPTS = 3

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
ACCOUNT_ACCESS = "sso:account:access"
# The redirect URI the AWS CLI registers (no port) and the port-bearing one it uses (§2.6).
REGISTERED_REDIRECT = "http://127.0.0.1/oauth/callback"
CLI_TEST_PORT = 55555
# The AWS CLI's device-flow client adds this to its interval after a SlowDownException (§2.5).
SLOW_DOWN_STEP_SECS = 5
# PKCE verifier alphabet and length, as the AWS CLI makes it (§2.6).
VERIFIER_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
VERIFIER_LENGTH = 64


def load_fixture(path):
    with open(path, "rb") as f:
        return tomllib.load(f)


DEMO = load_fixture(DEMO_FIXTURE)
PAGING = load_fixture(PAGING_FIXTURE)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# No proxies for the control API and browser-style requests; redirects are not followed.
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def http(method, url, body=None):
    """One HTTP request without following redirects: (status, headers, body text)."""
    data = body.encode() if isinstance(body, str) else body
    if data is None and method in ("POST", "PUT", "DELETE"):
        data = b""
    req = urllib.request.Request(url, data=data, method=method)
    try:
        with _HTTP.open(req, timeout=HTTP_TIMEOUT_SECS) as resp:
            return resp.status, resp.headers, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


class Emulator:
    """A running `aws-emulator serve` process and what it announced."""

    def __init__(self, *args):
        if not os.path.isfile(EMULATOR_BIN):
            pytest.fail(
                f"no emulator binary at {EMULATOR_BIN}: build it with `cargo build -p aws-emulator` "
                "or set AWS_EMULATOR_BIN"
            )
        self.proc = subprocess.Popen(
            [EMULATOR_BIN, "serve", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        ready, _, _ = select.select([self.proc.stdout], [], [], STARTUP_TIMEOUT_SECS)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.close()
            pytest.fail(f"aws-emulator {' '.join(args)} printed no announcement (exit {self.proc.returncode})")
        self.announcement = json.loads(line)
        self.start_url = self.announcement["start_url"]
        self.region = self.announcement["region"]
        self.urls = self.announcement["urls"]
        self.env = self.announcement["env"]
        self.control_url = self.announcement["control"]

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=SHUTDOWN_TIMEOUT_SECS)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe:
                pipe.close()

    # The control API.

    def control(self, method, path, body=None):
        status, _, text = http(method, self.control_url + path, body)
        assert status == 200, f"control {method} {path}: {status} {text}"
        return json.loads(text)

    def advance(self, seconds):
        return self.control("POST", f"/clock/advance?seconds={int(seconds)}")

    def add_faults(self, *rules):
        return self.control("POST", "/faults", "\n".join(rules))

    def clear_faults(self):
        return self.control("DELETE", "/faults")

    def approve(self, user_code, user):
        q = urllib.parse.urlencode({"user_code": user_code, "user": user})
        return self.control("POST", f"/approve?{q}")

    def deny(self, user_code):
        return self.control("POST", f"/deny?{urllib.parse.urlencode({'user_code': user_code})}")

    def revoke(self, user, what):
        return self.control("POST", f"/revoke?{urllib.parse.urlencode({'user': user, 'what': what})}")

    def auto_approve(self, user=""):
        return self.control("POST", f"/auto-approve?{urllib.parse.urlencode({'user': user})}")

    def rate_limit(self, rps):
        return self.control("POST", f"/rate-limit?rps={rps}")

    # botocore clients, built as the AWS CLI builds them.

    def oidc(self, **retries):
        return client("sso-oidc", self.region, self.urls["oidc"], unsigned=True, **retries)

    def portal(self, **retries):
        return client("sso", self.region, self.urls["portal"], unsigned=True, **retries)

    def connect(self, credentials, region, **retries):
        return client(
            "connect",
            region,
            self.urls["connect"],
            aws_access_key_id=credentials["accessKeyId"],
            aws_secret_access_key=credentials["secretAccessKey"],
            aws_session_token=credentials["sessionToken"],
            **retries,
        )

    def web(self, host, path=""):
        """The emulator URL that stands for https://{host}{path}."""
        return f"{self.urls['web']}/{host}{path}"


# One botocore session for the whole suite: botocore makes a client's exception classes once per
# session and service, so `pytest.raises(a.exceptions.X)` also catches X raised by client b.
_BOTOCORE = botocore.session.get_session()


def client(service, region, endpoint_url, unsigned=False, attempts=STANDARD_ATTEMPTS, **credentials):
    """A client with botocore's standard retries, making at most `attempts` attempts in all (1: no
    retry; note that botocore's own `max_attempts` counts retries only)."""
    config = Config(
        retries={"mode": "standard", "total_max_attempts": attempts},
        signature_version=UNSIGNED if unsigned else None,
    )
    return _BOTOCORE.create_client(
        service, region_name=region, endpoint_url=endpoint_url, config=config, **credentials
    )


class SignedIn:
    """A user signed in through the device flow: the registration and the CreateToken answer."""

    def __init__(self, registration, token):
        self.registration = registration
        self.token = token
        self.client_id = registration["clientId"]
        self.client_secret = registration["clientSecret"]
        self.access_token = token["accessToken"]
        self.refresh_token = token.get("refreshToken")


def register(oidc, scopes=(ACCOUNT_ACCESS,), **extra):
    args = {"clientName": "botocore-client-suite", "clientType": "public", **extra}
    if scopes:
        args["scopes"] = list(scopes)
    return oidc.register_client(**args)


def sign_in(emu, user, scopes=(ACCOUNT_ACCESS,)):
    """Signs `user` in as the AWS CLI's device flow does, approving through the control API."""
    oidc = emu.oidc()
    reg = register(oidc, scopes)
    dev = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=emu.start_url
    )
    emu.approve(dev["userCode"], user)
    token = oidc.create_token(
        grantType=DEVICE_GRANT,
        clientId=reg["clientId"],
        clientSecret=reg["clientSecret"],
        deviceCode=dev["deviceCode"],
    )
    return SignedIn(reg, token)


def role_credentials(emu, user, account, role):
    """Signs `user` in and returns GetRoleCredentials' roleCredentials for `role` in `account`."""
    s = sign_in(emu, user)
    return emu.portal().get_role_credentials(accessToken=s.access_token, accountId=account, roleName=role)[
        "roleCredentials"
    ]


def pkce_pair():
    """A code verifier and its S256 challenge, made as the AWS CLI makes them."""
    verifier = "".join(secrets.choice(VERIFIER_ALPHABET) for _ in range(VERIFIER_LENGTH))
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def authorize_url(oidc_base, client_id, redirect_uri, state, challenge, scopes=(ACCOUNT_ACCESS,)):
    """The browser URL exactly as the AWS CLI builds it (§2.6 step 5)."""
    q = lambda v: urllib.parse.quote(v, safe="-._~")  # noqa: E731
    return (
        f"{oidc_base}/authorize?response_type=code&client_id={q(client_id)}"
        f"&redirect_uri={q(redirect_uri)}&state={q(state)}&code_challenge_method=S256"
        f"&scopes={q(' '.join(scopes))}&code_challenge={challenge}"
    )


def _response(error):
    """The parsed response of a ClientError, or of the one a pytest.raises() caught."""
    return getattr(error, "value", error).response


def assert_oidc_error(excinfo, shape, status, oauth_error):
    """An sso-oidc error as botocore decodes it: the shape, the status and the OAuth members."""
    r = _response(excinfo)
    assert r["Error"]["Code"] == shape
    assert r["ResponseMetadata"]["HTTPStatusCode"] == status
    assert r["error"] == oauth_error
    assert r["error_description"]


def assert_error(excinfo, code, status):
    """A portal or Connect error as botocore decodes it: the code, the status and a request id."""
    r = _response(excinfo)
    assert r["Error"]["Code"] == code
    assert r["ResponseMetadata"]["HTTPStatusCode"] == status
    assert r["ResponseMetadata"]["RequestId"]


def now_ms():
    return time.time() * 1000
