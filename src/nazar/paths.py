"""Where Nazar keeps its state: everything under ``$NAZAR_HOME`` (default ``./var``).

One folder per instance, so several instances never collide.
"""

from __future__ import annotations

import os
from pathlib import Path


def nazar_home() -> Path:
    return Path(os.environ.get("NAZAR_HOME", "var"))


def user_model_path() -> Path:
    """Where ``nazar train`` writes, and where the detector looks before the shipped model."""
    return nazar_home() / "models" / "default.npz"
