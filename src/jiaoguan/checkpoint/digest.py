"""HTTP Digest authentication (RFC 2617, MD5, qop=auth) as GA/T 1400 devices use it to register.

Nonces are stateless: a timestamp and an HMAC over it with the app's secret, so every worker
accepts a nonce any other worker issued, until it is `NONCE_LIFETIME_S` old (then the challenge
says `stale=true` and a client retries without asking its user again).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

REALM = "jiaoguan-viid"
NONCE_LIFETIME_S = 300
_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def digest_ha1(username: str, password: str, realm: str = REALM) -> str:
    """What the server stores instead of the password: MD5(username:realm:password)."""
    return md5_hex(f"{username}:{realm}:{password}")


def make_nonce(secret: str, now: float | None = None) -> str:
    stamp = f"{int(now if now is not None else time.time()):x}"
    salt = secrets.token_hex(4)
    mac = hmac.new(secret.encode(), f"{stamp}:{salt}".encode(), hashlib.sha256).hexdigest()[:24]
    return f"{stamp}.{salt}.{mac}"


def nonce_age(secret: str, nonce: str, now: float | None = None) -> float | None:
    """Seconds since the nonce was issued, or None when we did not issue it."""
    try:
        stamp, salt, mac = nonce.split(".")
        issued = int(stamp, 16)
    except ValueError:
        return None
    expected = hmac.new(secret.encode(), f"{stamp}:{salt}".encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected[:24], mac):
        return None
    return (now if now is not None else time.time()) - issued


def challenge(secret: str, *, stale: bool = False) -> str:
    """The WWW-Authenticate header value of a 401."""
    opaque = md5_hex(REALM)
    value = (
        f'Digest realm="{REALM}", qop="auth", nonce="{make_nonce(secret)}", '
        f'opaque="{opaque}", algorithm=MD5'
    )
    return value + (", stale=true" if stale else "")


@dataclass(frozen=True)
class DigestCredentials:
    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    qop: str | None
    nc: str | None
    cnonce: str | None


def parse_authorization(header: str) -> DigestCredentials | None:
    scheme, _, rest = header.partition(" ")
    if scheme.lower() != "digest":
        return None
    params = {m.group(1).lower(): m.group(2) or m.group(3) or "" for m in _PARAM.finditer(rest)}
    try:
        return DigestCredentials(
            username=params["username"],
            realm=params["realm"],
            nonce=params["nonce"],
            uri=params["uri"],
            response=params["response"].lower(),
            qop=params.get("qop"),
            nc=params.get("nc"),
            cnonce=params.get("cnonce"),
        )
    except KeyError:
        return None


def expected_response(ha1: str, method: str, creds: DigestCredentials) -> str:
    ha2 = md5_hex(f"{method}:{creds.uri}")
    if creds.qop:
        return md5_hex(f"{ha1}:{creds.nonce}:{creds.nc}:{creds.cnonce}:{creds.qop}:{ha2}")
    return md5_hex(f"{ha1}:{creds.nonce}:{ha2}")  # RFC 2069 clients without qop


def client_authorization(
    username: str,
    password: str,
    method: str,
    uri: str,
    www_authenticate: str,
    *,
    nc: int = 1,
    cnonce: str | None = None,
) -> str:
    """The Authorization header a device sends after a challenge (for tests and the simulator)."""
    params = {
        m.group(1).lower(): m.group(2) or m.group(3) or ""
        for m in _PARAM.finditer(www_authenticate.partition(" ")[2])
    }
    cnonce = cnonce or secrets.token_hex(8)
    creds = DigestCredentials(
        username, params["realm"], params["nonce"], uri, "", "auth", f"{nc:08x}", cnonce
    )
    response = expected_response(digest_ha1(username, password, params["realm"]), method, creds)
    return (
        f'Digest username="{username}", realm="{creds.realm}", nonce="{creds.nonce}", '
        f'uri="{uri}", qop=auth, nc={creds.nc}, cnonce="{cnonce}", response="{response}", '
        f'opaque="{params.get("opaque", "")}", algorithm=MD5'
    )
