"""The database schema: Alembic's migrations create and change it; the App only checks it.

Workers never create or alter tables: several starting at once would race each other. One
`alembic upgrade head` per deployment brings the database to the head revision of the
migrations, which ship inside this package (`migrations/`), so an installed wheel migrates too;
`python -m {{ cookiecutter.package_name }}` (one process) runs them itself before serving.
"""

import functools
import logging

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import SQLAlchemyError

from .flow import ErrorPage
from .storage import Storage

logger = logging.getLogger(__name__)

UPGRADE_COMMAND = "alembic upgrade head"
# Alembic finds the scripts through the package, wherever it is installed.
MIGRATIONS = f"{__package__}:migrations"

DATABASE_UNAVAILABLE = ErrorPage(
    503,
    "The database does not answer",
    "The App cannot reach its database right now. Nothing was changed.",
    "Try again in a moment. If it persists, check DATABASE_URL and that the database is up.",
)


def alembic_config(database_url: str) -> Config:
    """The App's Alembic configuration, built from the package (no alembic.ini needed), aimed
    at `database_url`. alembic.ini gives the command line the same script location."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.set_main_option("path_separator", "os")
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


@functools.cache
def head_revision() -> str:
    """The migration the models match: the head of `migrations/versions`."""
    head = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    assert head is not None, "the package holds no migration"
    return head


def upgrade(database_url: str) -> None:
    """Bring the database to the latest migration, like `alembic upgrade head`."""
    command.upgrade(alembic_config(database_url), "head")


def current_revision(storage: Storage) -> str | None:
    """The database's migration (None: no schema yet). Raises SQLAlchemyError if unreachable."""
    with storage.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


class SchemaGate:
    """Refuses requests until the database has this App's schema, then steps aside for good.

    Until the schema is there, every request checks again, so the App serves as soon as
    `alembic upgrade head` has run, without a restart.
    """

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._ready = False

    @property
    def ready(self) -> bool:
        """True once the schema was found: from then on `refusal` is None without a query."""
        return self._ready

    def refusal(self) -> ErrorPage | None:
        """The page to answer instead of serving, or None when the schema is this App's."""
        if self._ready:
            return None
        try:
            revision = current_revision(self._storage)
        except SQLAlchemyError:
            return DATABASE_UNAVAILABLE
        if revision == head_revision():
            self._ready = True
            return None
        found = "has no tables yet" if revision is None else f"is at migration {revision}"
        return ErrorPage(
            503,
            "The database is not ready",
            f"The database {found}; this version of the App needs migration {head_revision()}.",
            f"Run `{UPGRADE_COMMAND}` in the App's folder with the same DATABASE_URL, "
            "then reload this page.",
        )

    def health_problem(self) -> str | None:
        """Why /health answers 503, or None when the database answers with this App's schema."""
        if not self._storage.is_available():
            return "the database does not answer"
        page = self.refusal()
        return None if page is None else f"{page.message} Run `{UPGRADE_COMMAND}`."

    def log_start_up(self) -> None:
        """Say at start-up, once, what stands between the App and its first request."""
        page = self.refusal()
        if page is not None:
            logger.warning("%s: %s %s", page.title, page.message, page.next_step)
