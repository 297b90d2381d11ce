from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Each test gets its own NAZAR_HOME, so no test sees another's models or files."""
    home = tmp_path_factory.mktemp("nazar_home")
    monkeypatch.setenv("NAZAR_HOME", str(home))
    return home
