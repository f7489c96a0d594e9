"""The one settings object, read from the environment (prefix ``STELLAR_``).

Defaults follow the WebSocket guide. The secret key is generated once and kept under the
data directory (mode 0600) when not given; known placeholders are refused.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from stellarcollab.wire import rules

PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "your-secret-key", "your-secret-key-here",
     "development", "dev", "test", "insecure", "please-change-me"}
)


class InsecureSecretError(ValueError):
    """The configured secret key is a known placeholder or too short."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STELLAR_", extra="ignore")

    data_dir: Path = Path("./data")
    database_url: str = ""
    broker_url: str = "memory://"
    secret_key: str = ""
    # NoDecode: read as plain text (comma separated), not as JSON, from the environment.
    #: Browser origins allowed to open sockets and to call the API cross-origin; empty
    #: (the default) means the server's own origin only; "*" allows any.
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: honour X-Forwarded-For/-Proto/-Host (only behind a proxy that sets them)
    trust_proxy: bool = False
    #: the proxies whose X-Forwarded-* headers are believed when trust_proxy is on
    trusted_proxies: str = "127.0.0.1"

    access_token_expire_seconds: int = 900
    #: how long refreshing may extend a session past its sign-in
    session_max_seconds: int = 7 * 24 * 3600
    password_hash_time_cost: int = 2
    password_hash_memory_kib: int = 19456
    password_hash_parallelism: int = 1
    password_hash_concurrency: int = 4

    websocket_timeout: float = 60
    websocket_max_connections: int = 1000
    websocket_ping_interval: float = 30
    websocket_max_message_bytes: int = 64 * 1024
    websocket_max_connections_per_user: int = 20
    websocket_send_buffer_bytes: int = 1024 * 1024
    #: the kernel's send buffer per socket (SO_SNDBUF; 0: the kernel's autotuning, up to
    #: net.ipv4.tcp_wmem's maximum). Bounded, so a reader that stalls fills the budget
    #: above within seconds instead of megabytes of kernel memory later.
    websocket_socket_send_buffer: int | None = 64 * 1024
    websocket_token_check_interval: float = 1.0
    #: serve /api/v1/ws/echo (conformance runs only: it answers anyone)
    websocket_echo_endpoint: bool = False
    ticket_ttl_seconds: float = 30
    broadcast_mode: Literal["fast", "naive"] = "fast"

    lock_ttl_seconds: float = 30
    lock_sweep_interval: float = 1.0

    recovery_history: int = 1000
    recovery_ttl_seconds: float = 300
    #: with the Redis broker: how long a process's presence entries outlive it
    presence_ttl_seconds: float = Field(default=30, gt=0)

    rate_limit_messages_per_second: float = 20
    rate_limit_burst: int = 40
    rate_limit_connects_per_minute: int = 120

    # Security limits (docs/SECURITY.md lists each with its default).
    max_request_body_bytes: int = 1024 * 1024
    max_error_echo_chars: int = 200
    login_failures_per_account: int = 10
    login_lockout_seconds: float = 300
    login_attempts_per_ip_per_minute: int = 60
    registrations_per_ip_per_hour: int = 20
    tickets_per_user_per_minute: int = 60
    refreshes_per_user_per_minute: int = 30
    websocket_connections_per_ip: int = 200
    websocket_connects_per_ip_per_minute: int = 600
    chat_per_second: float = 5
    chat_burst: int = 10
    presence_per_second: float = 20
    presence_burst: int = 40
    mentions_per_second: float = 1
    mentions_burst: int = 3
    direct_messages_per_second: float = 2
    direct_messages_burst: int = 5
    reports_per_minute: float = 6
    reports_burst: int = 3
    #: refusals in a row (over any limit) before the socket is closed with 4029
    rate_limit_strikes_before_close: int = 50
    duplicate_window_seconds: float = 10
    #: how many identical log lines one client may cause per minute
    client_log_lines_per_minute: int = 10

    chat_max_length: int = rules.CHAT_MAX_LENGTH
    mention_max_length: int = rules.MENTION_MAX_LENGTH
    presence_flush_interval: float = 2.0
    #: canvases with more users than this get a periodic ``presence_count`` instead of
    #: per-user notices, and a ``canvas_state`` listing only this many users
    presence_detail_limit: int = Field(default=100, ge=1)
    #: how long joins and leaves are gathered into one ``presence_diff`` (seconds)
    presence_diff_window: float = Field(default=0.1, gt=0, le=1.0)
    #: at most one ``presence_count`` per canvas per this many seconds
    presence_count_interval: float = Field(default=0.5, gt=0)
    #: while arrivals go on, a large canvas's counts stay near this many frames a second
    #: (one every ``active_users / rate`` seconds, when that is longer than the interval);
    #: counts are never closer than a quarter of that (``PresencePolicy.count_spacing``),
    #: so however the arrivals come, at most about four times this
    presence_count_rate: float = Field(default=2500, gt=0)
    #: accepted sockets a second from which young garbage collections are held back until
    #: the arrivals calm down (``arrival_gc``); 0 never holds them
    gc_storm_rate: float = Field(default=250, ge=0)
    announcement_check_interval: float = 5.0
    log_level: str = "info"
    #: ``text`` (for people) or ``json`` (one object per line, for log collectors)
    log_format: Literal["text", "json"] = "text"

    #: on SIGTERM: how long closing the sockets (in jittered batches) may take
    drain_seconds: float = Field(default=10, ge=0)
    #: ``host:port`` of a separate listener serving only /metrics; empty: /metrics on the
    #: main port, for an admin's token or ``metrics_token`` only
    metrics_bind: str = ""
    metrics_token: str = ""
    #: how long /readyz waits for the database and the broker
    readiness_timeout_seconds: float = Field(default=2.0, gt=0)
    #: ``stellarcollab demo --if-empty`` (as ``make run`` calls it) does nothing when off
    demo: bool = True

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str) and not value.startswith("["):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'stellarcollab.db').as_posix()}"

    def resolved_secret_key(self) -> str:
        if self.secret_key:
            if self.secret_key.strip().lower() in PLACEHOLDER_SECRETS or len(self.secret_key) < 32:
                raise InsecureSecretError(
                    "STELLAR_SECRET_KEY is a known placeholder or shorter than 32 characters"
                )
            return self.secret_key
        return _stored_secret(self.data_dir)


def _stored_secret(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
