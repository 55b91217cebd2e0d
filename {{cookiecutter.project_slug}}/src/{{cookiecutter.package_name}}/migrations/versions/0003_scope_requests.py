"""The scopes a PIM was asked for, and the last attempt: a scope request is not repeated.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("connections", sa.Column("requested_scopes", sa.Text(), nullable=True))
    op.add_column(
        "connections",
        sa.Column("scope_request_attempted_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.drop_column("scope_request_attempted_at")
        batch.drop_column("requested_scopes")
