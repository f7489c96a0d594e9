"""Accounts and canvases for a run, made over the public REST API like any client would.

Plain ``http.client`` with keep-alive, a few requests in parallel; names carry a random
run id so a run against a long-lived server (``--url``) never collides with an earlier one.
Against a bench server of its own, thousands of accounts are written straight into its
database (one registered over REST is the template, its password hash shared) and their
tokens signed with the server's key: no password hashing per account.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import secrets
import sqlite3
import threading
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stellarcollab.auth.tokens import TokenService

BENCH_PASSWORD = "bench-password-1"


class ApiError(RuntimeError):
    pass


@dataclass(frozen=True)
class Account:
    user_id: int
    username: str
    token: str


class RestClient:
    """One keep-alive HTTP connection per thread to the server's REST API."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme != "http" or parsed.hostname is None:
            raise ValueError(f"expected an http:// URL, got {base_url!r}")
        self.host = parsed.hostname
        self.port = parsed.port or 80
        self.prefix = parsed.path.rstrip("/")
        self.timeout = timeout
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if connection is None:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self._local.conn = connection
        return connection

    def request(self, method: str, path: str, body: Any = None,
                token: str | None = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        for attempt in range(2):
            connection = self._connection()
            try:
                connection.request(method, self.prefix + path, body=data, headers=headers)
                response = connection.getresponse()
                raw = response.read()
                return response.status, (json.loads(raw) if raw else None)
            except (http.client.HTTPException, ConnectionError):
                connection.close()
                self._local.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        connection = getattr(self._local, "conn", None)
        if connection is not None:
            connection.close()
            self._local.conn = None


def run_id() -> str:
    return secrets.token_hex(3)


def register_users(client: RestClient, count: int, run: str, parallel: int = 4,
                   on_progress: Callable[[int], None] | None = None) -> list[Account]:
    """Register ``count`` accounts named ``b<run>_<i>``."""
    done = 0
    lock = threading.Lock()

    def one(index: int) -> Account:
        nonlocal done
        username = f"b{run}_{index}"
        status, body = client.request("POST", "/api/v1/auth/register", {
            "username": username, "email": f"{username}@bench.example.com",
            "password": BENCH_PASSWORD,
        })
        if status != 201:
            raise ApiError(f"register {username}: HTTP {status} {body}")
        with lock:
            done += 1
            if on_progress is not None:
                on_progress(done)
        return Account(int(body["user"]["id"]), username, str(body["access_token"]))

    with ThreadPoolExecutor(max_workers=max(1, min(parallel, count))) as pool:
        return list(pool.map(one, range(count)))


def create_canvases(client: RestClient, owner: Account, count: int, run: str,
                    parallel: int = 4) -> list[int]:
    """Create ``count`` public canvases owned by ``owner``; returns their ids."""

    def one(index: int) -> int:
        status, body = client.request("POST", "/api/v1/canvases",
                                      {"name": f"bench {run} {index}"}, token=owner.token)
        if status != 201:
            raise ApiError(f"create canvas: HTTP {status} {body}")
        return int(body["id"])

    with ThreadPoolExecutor(max_workers=max(1, min(parallel, count))) as pool:
        return list(pool.map(one, range(count)))


#: columns a seeded account sets itself; every other column is copied from the template
OWN_COLUMNS = ("id", "username", "username_key", "email", "display_name")


def seed_users(database: Path, secret_key: str, template: Account, count: int, run: str,
               token_lifetime: int = 3600) -> list[Account]:
    """Insert ``count`` accounts named ``b<run>_s<i>`` like ``template`` (same password,
    flags and creation time) into the server's SQLite database, and sign a token for each."""
    names = [f"b{run}_s{index}" for index in range(count)]
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(users)")]
        copied = [c for c in columns if c not in OWN_COLUMNS]
        target = ", ".join(["username", "username_key", "email", "display_name", *copied])
        source = ", ".join(["?", "?", "?", "?", *copied])
        with connection:
            connection.executemany(
                f"INSERT INTO users ({target}) SELECT {source} FROM users WHERE id = ?",
                [(name, name.lower(), f"{name}@bench.example.com", name, template.user_id)
                 for name in names])
        ids = dict(connection.execute("SELECT username, id FROM users WHERE id > ?",
                                      (template.user_id,)).fetchall())
        password_hash = connection.execute("SELECT password_hash FROM users WHERE id = ?",
                                           (template.user_id,)).fetchone()[0]
    tokens = TokenService(secret_key, token_lifetime)
    stamp = tokens.stamp_for(str(password_hash))  # the same password as the template's
    return [Account(int(ids[name]), name, tokens.issue(int(ids[name]), stamp)[0])
            for name in names]
