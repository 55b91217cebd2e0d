"""Browser sessions kept server-side (logout ends every copy of a cookie), and used-up states.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "browser_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("pim_url", sa.String(length=2048), nullable=False),
{%- if cookiecutter.openid_connect %}
        sa.Column("user_id", sa.Integer(), nullable=True),
{%- endif %}
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name="pk_browser_sessions"),
    )
    op.create_index("ix_browser_sessions_expires_at", "browser_sessions", ["expires_at"])
    op.create_table(
        "redeemed_states",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state_hash", name="pk_redeemed_states"),
    )
    op.create_index("ix_redeemed_states_expires_at", "redeemed_states", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_redeemed_states_expires_at", table_name="redeemed_states")
    op.drop_table("redeemed_states")
    op.drop_index("ix_browser_sessions_expires_at", table_name="browser_sessions")
    op.drop_table("browser_sessions")
