"""Signed access tokens (PyJWT, HS256) and single-use WebSocket tickets."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt
import orjson
from jwt.algorithms import HMACAlgorithm

from stellarcollab.clock import Clock, SystemClock

if TYPE_CHECKING:
    from stellarcollab.realtime.broker.tickets import TicketStore

ALGORITHM = "HS256"


class InvalidTokenError(Exception):
    """The token is malformed, badly signed, expired or of the wrong kind."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    jti: str
    issued_at: float  # epoch seconds to the millisecond: a revocation cut-off is that fine
    expires_at: int
    #: the account's credential stamp when issued: a password change makes it stale
    stamp: str = ""
    #: when the password was last presented (kept across refreshes); 0: at issue
    auth_time: int = 0


class _KeyCheckedOnce(HMACAlgorithm):
    """PyJWT's HS256 with the server's key checked once. PyJWT checks an HMAC key on
    every decode (that it is no PEM, SSH, DER or JSON key), which costs more than the
    signature itself; the server's key is checked here, at start-up, and any other key
    still goes through PyJWT's check."""

    def __init__(self, secret: str) -> None:
        super().__init__(HMACAlgorithm.SHA256)
        self._secret = secret
        self._prepared = super().prepare_key(secret)

    def prepare_key(self, key: str | bytes) -> bytes:
        if key is self._secret:
            return self._prepared
        return super().prepare_key(key)


#: the base64url alphabet (a segment without padding), and its mapping to base64's
_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")
_TO_BASE64 = bytes.maketrans(b"-_", b"+/")
#: what PyJWT's claim checks look at, with the options ``TokenService.decode`` gives it
_REQUIRED_CLAIMS = ("sub", "jti", "iat", "exp")


class _IssuedForm:
    """The verification of the tokens this server issues, in their own form: PyJWT's
    header for HS256, two unpadded base64url segments. PyJWT checks a token's alphabet
    one character at a time in a generator, decodes a header that is always the same
    and parses JSON with the standard library: about 30 µs a token on this project's
    benchmark machine, some 5 % of a socket's whole cost in an arrival storm. This takes
    about 7 µs.

    ``payload`` answers only what PyJWT would accept: a token in any other form, with
    a signature that does not verify, or with claims PyJWT would refuse or judge
    differently, gets None, and PyJWT decides it (``TokenService.decode``)."""

    def __init__(self, secret: str) -> None:
        self._mac = hmac.new(secret.encode(), digestmod=hashlib.sha256)
        # the header segment PyJWT writes on every token ``TokenService.issue`` makes
        # (compact JSON, sorted keys, unpadded base64url)
        header = json.dumps({"alg": ALGORITHM, "typ": "JWT"}, separators=(",", ":"),
                            sort_keys=True).encode()
        self._prefix = base64.urlsafe_b64encode(header).rstrip(b"=").decode() + "."

    def payload(self, token: str) -> dict[str, Any] | None:
        prefix = self._prefix
        if not token.startswith(prefix):
            return None
        body, dot, signature = token[len(prefix):].partition(".")
        if not (dot and len(body) % 4 != 1 and len(signature) % 4 != 1
                and _SEGMENT.fullmatch(body) and _SEGMENT.fullmatch(signature)):
            return None
        mac = self._mac.copy()
        mac.update(token[:len(prefix) + len(body)].encode())
        if not hmac.compare_digest(mac.digest(), _unpadded_b64decode(signature)):
            return None
        try:
            payload = orjson.loads(_unpadded_b64decode(body))
        except orjson.JSONDecodeError:
            return None
        if not (isinstance(payload, dict)
                and all(payload.get(claim) is not None for claim in _REQUIRED_CLAIMS)
                and isinstance(payload["sub"], str) and isinstance(payload["jti"], str)
                and "aud" not in payload):
            return None
        return payload


def _unpadded_b64decode(segment: str) -> bytes:
    """A segment checked against ``_SEGMENT``, of a length that can be base64."""
    return binascii.a2b_base64((segment + "=" * (-len(segment) % 4)).encode()
                               .translate(_TO_BASE64))


def _decoder(secret: str) -> jwt.PyJWT:
    """A PyJWT whose signature layer verifies HS256 with ``_KeyCheckedOnce``; only HS256
    is registered, so no other algorithm is accepted by it."""
    decoder = jwt.PyJWT()
    signatures = jwt.PyJWS(algorithms=[])
    signatures.register_algorithm(ALGORITHM, _KeyCheckedOnce(secret))
    decoder._jws = signatures  # the layer PyJWT.decode verifies with
    return decoder


class TokenService:
    """Issues and checks access tokens; expiry is judged by the injected clock."""

    def __init__(self, secret_key: str, lifetime_seconds: int,
                 clock: Clock | None = None) -> None:
        self._secret = secret_key
        self._decoder = _decoder(secret_key)
        self._issued_form = _IssuedForm(secret_key)
        self._stamp_key = hashlib.sha256(secret_key.encode()).digest()
        self.lifetime_seconds = lifetime_seconds
        self.clock = clock or SystemClock()

    def stamp_for(self, password_hash: str) -> str:
        """A short keyed digest of the password hash: equal until the password changes,
        and saying nothing about the hash to whoever reads the token."""
        return hashlib.blake2b(password_hash.encode(), key=self._stamp_key,
                               digest_size=8).hexdigest()

    def issue(self, user_id: int, stamp: str = "",
              auth_time: int | None = None) -> tuple[str, TokenClaims]:
        now = self.clock.time()
        claims = TokenClaims(user_id, uuid.uuid4().hex, math.floor(now * 1000) / 1000,
                             int(now) + self.lifetime_seconds, stamp,
                             int(now) if auth_time is None else auth_time)
        payload = {
            "sub": str(user_id),
            "jti": claims.jti,
            "iat": claims.issued_at,
            "exp": claims.expires_at,
            "typ": "access",
            "stp": stamp,
            "auth_time": claims.auth_time,
        }
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM), claims

    def decode(self, token: str) -> TokenClaims:
        try:
            payload = self._issued_form.payload(token) or self._decoder.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                # Times are judged below, by the injected clock rather than PyJWT's.
                options={"require": list(_REQUIRED_CLAIMS), "verify_exp": False,
                         "verify_iat": False, "verify_nbf": False},
            )
            if payload.get("typ") != "access":
                raise InvalidTokenError("not an access token")
            claims = TokenClaims(
                int(payload["sub"]), str(payload["jti"]), float(payload["iat"]),
                int(payload["exp"]), str(payload.get("stp", "")),
                int(payload.get("auth_time", payload["iat"])),
            )
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise InvalidTokenError(str(exc)) from exc
        self.check_times(claims)
        return claims

    def check_times(self, claims: TokenClaims) -> None:
        """InvalidTokenError when the claims are expired or not yet valid (the signature
        was checked once; a cache of decoded tokens checks the times again on each use)."""
        now = self.clock.time()
        if claims.expires_at <= now:
            raise InvalidTokenError("Signature has expired")
        if claims.issued_at > now:
            raise InvalidTokenError("The token is not yet valid (iat)")


class TicketService:
    """One-time tickets that stand for a token on a WebSocket URL for a few seconds.

    Kept by the broker's ticket store, so with Redis a ticket issued by one process is
    redeemed by any process, and only once; expiry is judged by the store's clock."""

    def __init__(self, store: TicketStore, ttl_seconds: float) -> None:
        self.store = store
        self.ttl_seconds = ttl_seconds

    async def issue(self, token: str) -> str:
        ticket = secrets.token_urlsafe(24)
        await self.store.put(ticket, token, self.ttl_seconds)
        return ticket

    async def redeem(self, ticket: str) -> str | None:
        return await self.store.take(ticket)
