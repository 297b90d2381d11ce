"""banks of known content: banks, bank_items

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import nazar.store.db

revision = "0002"
down_revision = "0001"

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(sa.JSON(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.create_table(
        "banks",
        sa.Column("id", _ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("thresholds", _json(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", nazar.store.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_banks")),
        sa.UniqueConstraint("name", name=op.f("uq_banks_name")),
    )
    op.create_table(
        "bank_items",
        sa.Column("id", _ID, nullable=False),
        sa.Column("bank_id", _ID, nullable=False),
        sa.Column("item_id", sa.String(length=512), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("added_by", sa.String(length=200), nullable=True),
        sa.Column("added_at", nazar.store.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("labels", _json(), nullable=False),
        sa.Column("themes", _json(), nullable=False),
        sa.Column("metadata", _json(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_id"], ["banks.id"], name=op.f("fk_bank_items_bank_id_banks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_items")),
        sa.UniqueConstraint("bank_id", "item_id", name=op.f("uq_bank_items_bank_id_item_id")),
    )
    with op.batch_alter_table("bank_items", schema=None) as batch_op:
        batch_op.create_index("ix_bank_items_bank_hash", ["bank_id", "text_hash"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bank_items", schema=None) as batch_op:
        batch_op.drop_index("ix_bank_items_bank_hash")
    op.drop_table("bank_items")
    op.drop_table("banks")
