"""Alembic's environment: migrates the database of DATABASE_URL to the App's models.

`alembic upgrade head` reads DATABASE_URL like the App does (the environment first, then `.env`
in the current folder). Code that migrates programmatically (`schema.upgrade`) passes the URL in
`config.attributes["database_url"]` instead.
"""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, make_url, pool, text

from {{ cookiecutter.package_name }}.settings import SettingsError, load_database_url
from {{ cookiecutter.package_name }}.storage import Base, create_private_sqlite_file

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    url = config.attributes.get("database_url")
    if isinstance(url, str):
        return url
    try:
        return load_database_url()
    except SettingsError as error:
        raise SystemExit(f"Cannot migrate: {error}") from None


def run_migrations_offline() -> None:
    """`alembic upgrade head --sql`: print the SQL instead of running it."""
    url = database_url()
    context.configure(
        url=url,
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = make_url(database_url())
    create_private_sqlite_file(url)
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            # SQLite alters a table by copying it: "batch" migrations do that for us.
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Two runs at once (two deployments) take turns instead of colliding: the
                # second finds the schema already at head.
                connection.execute(text("SELECT pg_advisory_xact_lock(7365241)"))
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
