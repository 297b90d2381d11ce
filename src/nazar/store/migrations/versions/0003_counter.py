"""counter-narrative catalogue: counter_items, counter_events

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import nazar.store.db

revision = "0003"
down_revision = "0002"

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(sa.JSON(none_as_null=True), "postgresql")


def _when() -> sa.types.TypeEngine:
    return nazar.store.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "counter_items",
        sa.Column("id", _ID, nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("langs", _json(), nullable=False),
        sa.Column("themes", _json(), nullable=False),
        sa.Column("audience", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("local_file", sa.Text(), nullable=True),
        sa.Column("source_org", sa.Text(), nullable=True),
        sa.Column("date", sa.String(length=10), nullable=True),
        sa.Column("review_status", sa.String(length=10), nullable=False),
        sa.Column("example", sa.Boolean(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.Column("deleted_at", _when(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counter_items")),
        sa.UniqueConstraint("item_id", name=op.f("uq_counter_items_item_id")),
    )
    op.create_table(
        "counter_events",
        sa.Column("id", _ID, nullable=False),
        sa.Column("counter_item_id", sa.String(length=200), nullable=False),
        sa.Column("item_id", _ID, nullable=True),
        sa.Column("event", sa.String(length=10), nullable=False),
        sa.Column("theme", sa.String(length=32), nullable=True),
        sa.Column("lang", sa.String(length=8), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_counter_events_item_id_items"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counter_events")),
    )
    with op.batch_alter_table("counter_events", schema=None) as batch_op:
        batch_op.create_index("ix_counter_events_theme_lang", ["theme", "lang"], unique=False)
        batch_op.create_index("ix_counter_events_counter_item", ["counter_item_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("counter_events", schema=None) as batch_op:
        batch_op.drop_index("ix_counter_events_counter_item")
        batch_op.drop_index("ix_counter_events_theme_lang")
    op.drop_table("counter_events")
    op.drop_table("counter_items")
