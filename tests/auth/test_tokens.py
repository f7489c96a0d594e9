"""Access tokens and one-time WebSocket tickets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from jwt.algorithms import HMACAlgorithm

from stellarcollab.auth.tokens import ALGORITHM, InvalidTokenError, TicketService, TokenService
from stellarcollab.clock import ManualClock
from stellarcollab.realtime.broker.memory_tickets import MemoryTicketStore

SECRET = "a-test-secret-key-of-enough-length"


def test_issued_token_decodes_to_its_claims() -> None:
    tokens = TokenService(SECRET, 60)
    token, claims = tokens.issue(7)
    decoded = tokens.decode(token)
    assert decoded == claims
    assert decoded.user_id == 7 and 59 < decoded.expires_at - decoded.issued_at <= 60


def test_expired_foreign_and_unsigned_tokens_are_refused() -> None:
    tokens = TokenService(SECRET, 60)
    now = int(time.time())
    expired = jwt.encode({"sub": "1", "jti": "j", "iat": now - 120, "exp": now - 60,
                          "typ": "access"}, SECRET, algorithm=ALGORITHM)
    other_secret = "another-secret-key-entirely-different"
    foreign = jwt.encode({"sub": "1", "jti": "j", "iat": now, "exp": now + 60,
                          "typ": "access"}, other_secret, algorithm=ALGORITHM)
    unsigned = jwt.encode({"sub": "1", "jti": "j", "iat": now, "exp": now + 60,
                           "typ": "access"}, None, algorithm="none")
    wrong_kind = jwt.encode({"sub": "1", "jti": "j", "iat": now, "exp": now + 60,
                             "typ": "refresh"}, SECRET, algorithm=ALGORITHM)
    for token in (expired, foreign, unsigned, wrong_kind, "not.a.token"):
        with pytest.raises(InvalidTokenError):
            tokens.decode(token)


async def test_ticket_service_issues_unguessable_tickets_through_its_store() -> None:
    service = TicketService(MemoryTicketStore(), ttl_seconds=30)
    first, second = await service.issue("token-a"), await service.issue("token-a")
    assert first != second and len(first) >= 32
    assert await service.redeem(first) == "token-a"
    assert await service.redeem(first) is None
    assert await service.redeem(second) == "token-a"


def test_a_token_expires_when_the_clock_passes_its_lifetime() -> None:
    clock = ManualClock(start=1_000_000.0)  # long ago for the real clock: only ours counts
    tokens = TokenService(SECRET, 60, clock)
    token, claims = tokens.issue(3)
    assert claims.issued_at == 1_000_000 and claims.expires_at == 1_000_060
    clock.advance(59.5)
    assert tokens.decode(token) == claims
    clock.advance(0.5)
    with pytest.raises(InvalidTokenError, match="expired"):
        tokens.decode(token)


def test_a_token_issued_in_the_clocks_future_is_refused() -> None:
    clock = ManualClock(start=1_000_000.0)
    token, _ = TokenService(SECRET, 60, ManualClock(start=1_000_030.0)).issue(3)
    with pytest.raises(InvalidTokenError, match="not yet valid"):
        TokenService(SECRET, 60, clock).decode(token)


async def test_a_ticket_expires_when_the_clock_passes_its_ttl() -> None:
    clock = ManualClock()
    service = TicketService(MemoryTicketStore(clock), ttl_seconds=30)
    early, late = await service.issue("token-a"), await service.issue("token-b")
    clock.advance(29)
    assert await service.redeem(early) == "token-a"
    clock.advance(1)
    assert await service.redeem(late) is None


def test_the_servers_key_is_checked_once_not_on_every_decode(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """PyJWT checks an HMAC key's shape on each decode; the service checks its own key
    once, when it is made, and still refuses what PyJWT refuses."""
    checks: list[object] = []
    check = HMACAlgorithm.prepare_key

    def counted(self: HMACAlgorithm, key: str | bytes) -> bytes:
        checks.append(key)
        return check(self, key)

    monkeypatch.setattr(HMACAlgorithm, "prepare_key", counted)
    tokens = TokenService(SECRET, 60)
    assert checks == [SECRET]
    for user_id in (1, 2, 3):
        assert tokens.decode(tokens.issue(user_id)[0]).user_id == user_id
    decodes = len(checks)
    assert decodes == 1 + 3  # the three issues sign with PyJWT's own check
    now = int(time.time())
    claims = {"sub": "1", "jti": "j", "iat": now, "exp": now + 60, "typ": "access"}
    long_key = SECRET * 2  # long enough for HS512, so PyJWT does not warn
    for algorithm in ("HS384", "HS512"):  # not registered: refused before any key check
        with pytest.raises(InvalidTokenError):
            tokens.decode(jwt.encode(claims, long_key, algorithm=algorithm))
    assert len(checks) == decodes + 2  # the two encodes above


def test_a_key_that_pyjwt_refuses_for_hmac_is_refused_when_the_service_is_made() -> None:
    with pytest.raises(jwt.InvalidKeyError):
        TokenService("-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----", 60)


def _pyjwt_verdict(token: str) -> object:
    """What PyJWT alone makes of a token, with the options the service gives it."""
    try:
        return jwt.decode(token, SECRET, algorithms=[ALGORITHM],
                          options={"require": ["sub", "jti", "iat", "exp"],
                                   "verify_exp": False, "verify_iat": False,
                                   "verify_nbf": False})
    except jwt.PyJWTError:
        return "refused"


def _service_verdict(tokens: TokenService, token: str) -> object:
    try:
        claims = tokens.decode(token)
    except InvalidTokenError:
        return "refused"
    return claims


def test_the_tokens_the_service_issues_are_verified_without_pyjwts_decoder(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Its own tokens take the short way (PyJWT's decoder is never asked), and come out
    as PyJWT reads them."""
    tokens = TokenService(SECRET, 60)
    issued = [tokens.issue(user_id, stamp) for user_id, stamp in ((1, ""), (2**40, "ab12"))]
    for token, _ in issued:
        assert _pyjwt_verdict(token) != "refused"

    def not_asked(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("PyJWT's decoder was asked")

    monkeypatch.setattr(tokens._decoder, "decode", not_asked)
    for token, claims in issued:
        assert tokens.decode(token) == claims


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signed(header: str, body: str, secret: str = SECRET) -> str:
    signature = hmac.new(secret.encode(), f"{header}.{body}".encode(), hashlib.sha256)
    return f"{header}.{body}.{_b64(signature.digest())}"


def _token_corpus(tokens: TokenService) -> list[str]:
    """Tokens of every form the short way must leave to PyJWT, or read as PyJWT does."""
    now = int(time.time())
    good = {"sub": "5", "jti": "j", "iat": now, "exp": now + 60, "typ": "access"}
    token, _ = tokens.issue(5)
    header, body, signature = token.split(".")
    payloads: list[object] = [
        good, {**good, "sub": 5}, {**good, "jti": 7}, {**good, "aud": "x"},
        {**good, "aud": ""}, {**good, "iss": "elsewhere"}, {**good, "iat": None},
        {key: value for key, value in good.items() if key != "exp"}, [good], "text", 5,
        {**good, "typ": "refresh"}, {**good, "sub": "not a number"}, {**good, "extra": [1]},
    ]
    corpus = [token, token + "=", f"{header}.{body}.{signature}==", f"{header}={body}",
              f"{header}.{body}", f"{header}.{body}.{signature}.x", f"{header}..{signature}",
              f"{header}.{body}.{signature[:-1]}", f"{header}.{body[:-1]}.{signature}",
              f"{header}.{body}!.{signature}", f"{header}.{body}.{signature}!",
              f"{header}.{body} .{signature}", f"{header}.{body}é.{signature}",
              f"{header}.{body}.{signature[:-2]}", f"{header}.{body}A.{signature}",
              f" {token}", f"{token} ", "", ".", "..", "not.a.token"]
    for payload in payloads:
        data = json.dumps(payload).encode()
        corpus.append(_signed(header, _b64(data)))
        corpus.append(_signed(header, _b64(data) + "="))  # padded: PyJWT accepts it
        corpus.append(_signed(header, _b64(data), "another-secret-key-entirely-different"))
        corpus.append(_signed(header, _b64(b" " + data)))  # same JSON, other bytes
    for other in ({"alg": "HS256", "typ": "JWT", "kid": "k"}, {"alg": "HS256"},
                  {"typ": "JWT", "alg": "HS256"}, {"alg": "none", "typ": "JWT"},
                  {"alg": "HS512", "typ": "JWT"}, ["HS256"]):
        corpus.append(_signed(_b64(json.dumps(other, separators=(",", ":")).encode()), body))
    corpus.append(jwt.encode(good, SECRET, algorithm=ALGORITHM, headers={"kid": "k"}))
    return corpus


def test_the_service_reads_every_token_as_pyjwt_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """Accepted or refused, and the claims of what is accepted: the same as the service
    made of each token when PyJWT verified them all, over tokens of every form (padded,
    re-encoded, other headers, tampered segments, foreign keys, claims PyJWT refuses);
    and what the short way accepts, PyJWT reads to the same payload."""
    tokens = TokenService(SECRET, 60)
    through_pyjwt = TokenService(SECRET, 60)
    monkeypatch.setattr(through_pyjwt._issued_form, "payload", lambda _token: None)
    short_way = 0
    for token in _token_corpus(tokens):
        payload = tokens._issued_form.payload(token)
        if payload is not None:
            short_way += 1
            assert payload == _pyjwt_verdict(token), token
        assert _service_verdict(tokens, token) == _service_verdict(through_pyjwt, token), token
    assert short_way >= 6  # the issued token and the re-signed claims PyJWT accepts
