"""Settings: environment prefix, the generated secret key, refused placeholders."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from stellarcollab.config import InsecureSecretError, Settings


def test_secret_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).resolved_secret_key()
    again = Settings(data_dir=tmp_path).resolved_secret_key()
    assert first == again and len(first) >= 32
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


@pytest.mark.parametrize("secret", ["changeme", "secret", "your-secret-key", "short-key"])
def test_placeholder_or_short_secrets_are_refused(tmp_path: Path, secret: str) -> None:
    with pytest.raises(InsecureSecretError):
        Settings(data_dir=tmp_path, secret_key=secret).resolved_secret_key()


def test_environment_prefix_and_guide_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STELLAR_WEBSOCKET_MAX_CONNECTIONS", "42")
    monkeypatch.setenv("STELLAR_ALLOWED_ORIGINS", "https://a.example, https://b.example")
    settings = Settings()
    assert settings.websocket_max_connections == 42
    assert settings.allowed_origins == ["https://a.example", "https://b.example"]
    assert (settings.websocket_timeout, settings.websocket_ping_interval) == (60, 30)
    assert settings.broker_url == "memory://"
