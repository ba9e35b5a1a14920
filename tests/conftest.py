from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No test can touch a real database, a real data folder or the terminal's settings."""
    db = tmp_path / "jindu.db"
    monkeypatch.setenv("JINDU_DB", str(db))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("JINDU_OPERATOR", "tester")
    monkeypatch.delenv("JINDU_DEBUG", raising=False)
    monkeypatch.delenv("JINDU_TODAY", raising=False)
    monkeypatch.delenv("JINDU_BUSY_TIMEOUT_MS", raising=False)
    return db


@pytest.fixture
def db(isolated):
    return isolated
