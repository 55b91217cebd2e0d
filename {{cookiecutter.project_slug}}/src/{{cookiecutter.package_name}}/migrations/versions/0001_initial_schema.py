"""Initial schema: one connection per PIM{% if cookiecutter.openid_connect %}, and the PIM users who opened the App{% endif %}.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pim_url", sa.String(length=2048), nullable=False),
        sa.Column("encrypted_token", sa.Text(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disconnected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scopes_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_connections"),
        sa.UniqueConstraint("pim_url", name="uq_connections_pim_url"),
    )
{%- if cookiecutter.openid_connect %}
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pim_url", sa.String(length=2048), nullable=False),
        sa.Column("sub", sa.String(length=255), nullable=False),
        sa.Column("first_name", sa.Text(), nullable=False),
        sa.Column("last_name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("pim_url", "sub", name="uq_users_pim_url_sub"),
    )
{%- endif %}


def downgrade() -> None:
{%- if cookiecutter.openid_connect %}
    op.drop_table("users")
{%- endif %}
    op.drop_table("connections")
