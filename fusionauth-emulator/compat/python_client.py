"""FusionAuth's official Python client (fusionauth-client 1.69.0) against the emulator.

Every check prints "ok <name> ..." or "FAIL <name> ..."; the exit status is 0 only when all pass.
Configuration (defaults: the project's Kickstart file) comes from the environment:
FUSIONAUTH_URL, FUSIONAUTH_API_KEY, FUSIONAUTH_APPLICATION_ID, FUSIONAUTH_TENANT_ID,
FUSIONAUTH_LOGIN_ID, FUSIONAUTH_PASSWORD, FUSIONAUTH_ISSUER.
"""

import base64
import hashlib
import hmac
import os
import struct
import sys
import time
import uuid

from fusionauth.fusionauth_client import FusionAuthClient

ENV = os.environ.get
URL = ENV("FUSIONAUTH_URL", "http://127.0.0.1:9011")
KEY = ENV("FUSIONAUTH_API_KEY", "dev-only-api-key-Kh4tI2W5Ax9a4zWWetKgSDwGmwSZU5F5ZHDPykkk")
APP = ENV("FUSIONAUTH_APPLICATION_ID", "b0029271-d049-43fa-9a64-ade04b85bf15")
TENANT = ENV("FUSIONAUTH_TENANT_ID", "e6bf416f-8c1a-41d6-96ea-9635017d7e3d")
LOGIN_ID = ENV("FUSIONAUTH_LOGIN_ID", "shopper@example.com")
PASSWORD = ENV("FUSIONAUTH_PASSWORD", "store-demo-pass")
ISSUER = ENV("FUSIONAUTH_ISSUER", "https://auth.store.example")

failures = []


def check(name, condition, detail=""):
    print(("ok " if condition else "FAIL ") + name + (" " + str(detail) if detail else ""))
    if not condition:
        failures.append(name)


def totp(base64_secret, now=None):
    key = base64.b64decode(base64_secret)
    counter = int((now if now is not None else time.time()) // 30)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (number % 1000000)


admin = FusionAuthClient(KEY, URL)
admin.set_tenant_id(TENANT)
anon = FusionAuthClient(None, URL)

# Login: 200, 404, 400.
r = admin.login({"loginId": LOGIN_ID, "password": PASSWORD, "applicationId": APP})
body = r.success_response or {}
check("login 200", r.status == 200 and {"token", "refreshToken", "refreshTokenId", "user",
                                          "tokenExpirationInstant"} <= set(body), r.status)
refresh_token, jwt, user_id = body.get("refreshToken"), body.get("token"), body.get("user", {}).get("id")
r = admin.login({"loginId": LOGIN_ID, "password": "wrong-password", "applicationId": APP})
check("wrong password 404", r.status == 404 and r.error_response is None, r.status)
r = admin.login({"loginId": "", "password": "", "applicationId": APP})
errors = (r.error_response or {}).get("fieldErrors", {})
check("blank 400", r.status == 400 and "loginId" in errors and "password" in errors, r.status)

# Refresh, validate, keys, OpenID configuration.
e = anon.exchange_refresh_token_for_jwt({"refreshToken": refresh_token})
check("refresh 200", e.status == 200 and set(e.success_response or {}) >= {"token", "refreshToken", "refreshTokenId"}, e.status)
rotated = (e.success_response or {}).get("refreshToken")
v = anon.validate_jwt((e.success_response or {}).get("token"))
check("validate 200", v.status == 200 and v.success_response["jwt"]["sub"] == user_id, v.status)
check("validate garbage 401", anon.validate_jwt("garbage").status == 401)
u = admin.retrieve_user_by_email(LOGIN_ID)
check("user by email 200", u.status == 200 and u.success_response["user"]["id"] == user_id, u.status)
pk = anon.retrieve_jwt_public_keys()
check("public keys 200", pk.status == 200 and len(pk.success_response["publicKeys"]) >= 1, pk.status)
kid = list(pk.success_response["publicKeys"].keys())[0]
check("public key by kid 200", anon.retrieve_jwt_public_key(kid).status == 200)
j = anon.retrieve_json_web_key_set()
check("jwks 200", j.status == 200 and len(j.success_response["keys"]) >= 1, j.status)
o = anon.retrieve_open_id_configuration()
check("openid configuration 200", o.status == 200 and o.success_response["issuer"] == ISSUER, o.status)

# Logout, then the token is dead.
lo = anon.logout(False, rotated)
check("logout 200", lo.status == 200 and lo.was_successful(), lo.status)
e2 = anon.exchange_refresh_token_for_jwt({"refreshToken": rotated})
codes = [x["code"] for x in (e2.error_response or {}).get("fieldErrors", {}).get("refreshToken", [])]
check("refresh after logout 400", e2.status == 400 and "[invalid]refreshToken" in codes, e2.status)

# Revocation variants and retrieval.
r = admin.login({"loginId": LOGIN_ID, "password": PASSWORD, "applicationId": APP})
check("revoke by token 200", admin.revoke_refresh_token(r.success_response["refreshToken"]).status == 200)
r = admin.login({"loginId": LOGIN_ID, "password": PASSWORD, "applicationId": APP})
check("revoke by id 200", admin.revoke_refresh_token_by_id(r.success_response["refreshTokenId"]).status == 200)
check("revoke by user 200", admin.revoke_refresh_tokens_by_user_id(user_id).status == 200)
rr = admin.retrieve_refresh_tokens(user_id)
check("retrieve refresh tokens 200", rr.status == 200 and rr.success_response["refreshTokens"] == [], rr.status)

# Two-factor: 242, 421, 200.
key = os.urandom(20)
# FusionAuth's documented encoding: `secret` standard Base64, `secretBase32Encoded` beside it.
secret = base64.b64encode(key).decode()
secret_base32 = base64.b32encode(key).decode()
email = "py-%s@example.com" % uuid.uuid4().hex[:12]
reg = admin.register({"user": {"email": email, "password": "python-two-factor",
                               "twoFactor": {"methods": [{"method": "authenticator", "secret": secret,
                                                              "secretBase32Encoded": secret_base32}]}},
                      "registration": {"applicationId": APP}, "skipVerification": True})
check("register with an authenticator 200", reg.status == 200, reg.status)
r = admin.login({"loginId": email, "password": "python-two-factor", "applicationId": APP})
two_factor_id = (r.success_response or {}).get("twoFactorId")
check("login 242", r.status == 242 and two_factor_id is not None, r.status)
bad_code = "000000" if totp(secret) != "000000" else "111111"
w = admin.two_factor_login({"twoFactorId": two_factor_id, "code": bad_code})
check("two-factor wrong code 421", w.status == 421, w.status)
t = admin.two_factor_login({"twoFactorId": two_factor_id, "code": totp(secret), "applicationId": APP})
check("two-factor login 200", t.status == 200 and "token" in (t.success_response or {}), t.status)

# Admin calls a Kickstart or a test might make.
k = admin.generate_key({"key": {"algorithm": "ES256", "name": "python EC key"}})
check("generate ES256 key 200", k.status == 200 and k.success_response["key"]["type"] == "EC", k.status)
j = anon.retrieve_json_web_key_set()
check("jwks lists the EC key", any(x.get("kty") == "EC" for x in j.success_response["keys"]))
a = admin.create_user_action({"userAction": {"name": "Locked", "preventLogin": True, "temporal": True}})
check("create user action 200", a.status == 200, a.status)
w = admin.create_webhook({"webhook": {"url": "http://127.0.0.1:9/none", "global": True,
                                      "eventsEnabled": {"jwt.refresh-token.revoke": True}}})
check("create webhook 200", w.status == 200, w.status)

if failures:
    print("FAILED:", ", ".join(failures))
    sys.exit(1)
print("ALL CHECKS PASSED")
