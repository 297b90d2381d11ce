"""API keys and roles. A key is shown once, when minted; only its SHA-256 is stored.

Roles and what they may do (``PERMISSIONS``): ``ingest`` sends items; ``reviewer`` works the
review queue; ``analyst`` reads items, trends and alerts; ``admin`` does everything, including
sources and alert rules.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from nazar.store.db import utcnow
from nazar.store.models import ROLES, ApiKey

KEY_PREFIX = "nzr_"

PERMISSIONS: dict[str, frozenset[str]] = {
    "ingest": frozenset({"items:write", "sources:read"}),
    "reviewer": frozenset({"items:read", "review", "classify", "counter:read"}),
    "analyst": frozenset(
        {"items:read", "trends", "classify", "sources:read", "alerts:read", "counter:read"}
    ),
}
PERMISSIONS["admin"] = frozenset().union(*PERMISSIONS.values()) | {
    "sources:write",
    "alerts:write",
    "counter:write",
    "admin",
}


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the key's name and role (never the key itself)."""

    key_id: int
    name: str
    role: str

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS[self.role]


def create_key(session: Session, role: str, name: str | None = None) -> tuple[str, ApiKey]:
    """Mint a key; returns the plain key (show it once) and its stored record."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKey(
        name=name or f"{role}-key",
        role=role,
        key_hash=hash_key(key),
        prefix=key[: len(KEY_PREFIX) + 6],
    )
    session.add(record)
    session.commit()
    return key, record


def authenticate(session: Session, key: str) -> Principal | None:
    if not key.startswith(KEY_PREFIX):
        return None
    record = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
    if record is None or record.revoked_at is not None:
        return None
    return Principal(record.id, record.name, record.role)


def revoke_key(session: Session, key_id: int) -> bool:
    record = session.get(ApiKey, key_id)
    if record is None:
        return False
    record.revoked_at = record.revoked_at or utcnow()
    session.commit()
    return True


def has_admin(session: Session) -> bool:
    q = select(ApiKey.id).where(ApiKey.role == "admin", ApiKey.revoked_at.is_(None)).limit(1)
    return session.scalar(q) is not None
