"""The database: one encrypted token per PIM, key rotation{% if cookiecutter.openid_connect %}, users keyed by (PIM, sub){% endif %}."""

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.exc import IntegrityError

from {{ cookiecutter.package_name }}.akeneo.exchange import Connection
{%- if cookiecutter.openid_connect %}
from {{ cookiecutter.package_name }}.akeneo.openid import Identity
{%- endif %}
from {{ cookiecutter.package_name }}.schema import upgrade
from {{ cookiecutter.package_name }}.storage import Storage
from tests.databases import sql

PIM_A = "https://pim-a.example.test"
PIM_B = "https://pim-b.example.test"
KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
TOKEN = "the-access-token-of-pim-a"
{%- if cookiecutter.openid_connect %}
SUB = "5d9c5a9e-3c7b-4d5e-9f8a-2b1c0d4e6f70"
{%- endif %}

MakeStorage = Callable[..., Storage]


@pytest.fixture
def database(database_url: str) -> str:
    return database_url


@pytest.fixture
def make_storage(database: str) -> Iterator[MakeStorage]:
    """Storages on one database, each with its own keys; their engines are closed at the end."""
    made: list[Storage] = []

    def make(*keys: str, database_url: str = database) -> Storage:
        storage = Storage(database_url, keys or (KEY_A,))
        made.append(storage)
        return storage

    yield make
    for storage in made:
        storage.engine.dispose()


@pytest.fixture
def storage(make_storage: MakeStorage) -> Storage:
    return make_storage(KEY_A)


def rows(database: str, query: str) -> list[tuple[object, ...]]:
    return sql(database, query)


def test_a_new_connection_is_stored_and_read_back(storage: Storage) -> None:
    before = datetime.now(UTC)
    storage.save_connection(Connection(PIM_A, TOKEN, ("read_channel_settings", "read_products")))
    after = datetime.now(UTC)

    stored = storage.get_connection(PIM_A)

    assert stored is not None
    assert stored.pim_url == PIM_A
    assert stored.access_token == TOKEN
    assert stored.scopes == ("read_channel_settings", "read_products")
    for moment in (stored.connected_at, stored.updated_at):
        assert moment.utcoffset() == timedelta(0)
        assert before <= moment <= after


def test_the_token_is_encrypted_in_the_database(storage: Storage, database: str) -> None:
    storage.save_connection(Connection(PIM_A, TOKEN, ("read_products",)))

    [(pim_url, encrypted_token, scopes)] = rows(
        database, "SELECT pim_url, encrypted_token, scopes FROM connections"
    )

    assert pim_url == PIM_A
    assert scopes == "read_products"
    assert isinstance(encrypted_token, str)
    assert TOKEN not in encrypted_token
    assert Fernet(KEY_A).decrypt(encrypted_token.encode()).decode() == TOKEN
    assert TOKEN not in str(rows(database, "SELECT * FROM connections"))


def test_connecting_a_pim_again_updates_its_row(storage: Storage, database: str) -> None:
    storage.save_connection(Connection(PIM_A, "first-token", ("read_products",)))
    first = storage.get_connection(PIM_A)

    storage.save_connection(Connection(PIM_A, "second-token", ("read_products", "write_products")))

    again = storage.get_connection(PIM_A)
    assert first is not None and again is not None
    assert again.access_token == "second-token"
    assert again.scopes == ("read_products", "write_products")
    assert again.connected_at == first.connected_at
    assert again.updated_at >= first.updated_at
    assert rows(database, "SELECT pim_url FROM connections") == [(PIM_A,)]


def test_connecting_a_pim_leaves_the_other_pims_untouched(storage: Storage) -> None:
    storage.save_connection(Connection(PIM_A, "token-a", ("read_products",)))
    storage.save_connection(Connection(PIM_B, "token-b", ("read_channel_settings",)))
    before_b = storage.get_connection(PIM_B)

    storage.save_connection(Connection(PIM_A, "token-a-again", ()))

    assert storage.get_connection(PIM_B) == before_b
    stored_a = storage.get_connection(PIM_A)
    assert stored_a is not None
    assert stored_a.access_token == "token-a-again"
    assert stored_a.scopes == ()


def test_an_unknown_pim_has_no_connection(storage: Storage) -> None:
    storage.save_connection(Connection(PIM_A, TOKEN, ("read_products",)))

    assert storage.get_connection(PIM_B) is None
    assert storage.get_connection(f"{PIM_A}/") is None


def test_a_token_written_with_an_old_key_is_read_after_rotation(
    storage: Storage, make_storage: MakeStorage
) -> None:
    storage.save_connection(Connection(PIM_A, "written-with-a", ("read_products",)))

    rotated = make_storage(KEY_B, KEY_A)

    stored = rotated.get_connection(PIM_A)
    assert stored is not None
    assert stored.access_token == "written-with-a"


def test_after_rotation_new_tokens_are_written_with_the_new_key(
    storage: Storage, make_storage: MakeStorage
) -> None:
    storage.save_connection(Connection(PIM_A, "written-with-a", ("read_products",)))
    rotated = make_storage(KEY_B, KEY_A)

    rotated.save_connection(Connection(PIM_A, "written-with-b", ("read_products",)))

    only_new_key = make_storage(KEY_B).get_connection(PIM_A)
    assert only_new_key is not None
    assert only_new_key.access_token == "written-with-b"
    only_old_key = make_storage(KEY_A).get_connection(PIM_A)
    assert only_old_key is not None and only_old_key.token_unreadable


def test_a_token_no_key_decrypts_is_read_as_unreadable(
    make_storage: MakeStorage, caplog: pytest.LogCaptureFixture
) -> None:
    make_storage(KEY_A).save_connection(Connection(PIM_A, TOKEN, ("read_products",)))
    without_the_key = make_storage(KEY_B)

    stored = without_the_key.get_connection(PIM_A)

    assert stored is not None
    assert stored.token_unreadable
    assert stored.access_token == ""
    assert "TOKEN_ENCRYPTION_KEYS" in caplog.text
    assert TOKEN not in caplog.text


def test_a_refusal_does_not_disconnect_a_pim_whose_token_no_key_decrypts(
    make_storage: MakeStorage,
) -> None:
    make_storage(KEY_A).save_connection(Connection(PIM_A, TOKEN, ("read_products",)))
    without_the_key = make_storage(KEY_B)

    assert without_the_key.mark_disconnected(Connection(PIM_A, TOKEN, ())) is False
    stored = make_storage(KEY_A).get_connection(PIM_A)
    assert stored is not None and stored.disconnected_at is None


def test_a_refused_token_marks_its_pim_disconnected_and_keeps_the_row(storage: Storage) -> None:
    connection = Connection(PIM_A, TOKEN, ("read_products",))
    storage.save_connection(connection)
    storage.save_connection(Connection(PIM_B, "token-b", ()))

    assert storage.mark_disconnected(connection) is True

    stored = storage.get_connection(PIM_A)
    assert stored is not None
    assert stored.access_token == TOKEN
    assert stored.disconnected_at is not None
    assert stored.disconnected_at.utcoffset() == timedelta(0)
    other = storage.get_connection(PIM_B)
    assert other is not None and other.disconnected_at is None


def test_a_second_refusal_keeps_the_time_of_the_first(storage: Storage) -> None:
    connection = Connection(PIM_A, TOKEN, ())
    storage.save_connection(connection)
    storage.mark_disconnected(connection)
    first = storage.get_connection(PIM_A)

    storage.mark_disconnected(connection)

    again = storage.get_connection(PIM_A)
    assert first is not None and again is not None
    assert again.disconnected_at == first.disconnected_at


def test_the_refusal_of_a_replaced_token_does_not_disconnect(storage: Storage) -> None:
    storage.save_connection(Connection(PIM_A, "new-token", ()))

    assert storage.mark_disconnected(Connection(PIM_A, "old-token", ())) is False
    assert storage.mark_disconnected(Connection(PIM_B, "token-b", ())) is False

    stored = storage.get_connection(PIM_A)
    assert stored is not None and stored.disconnected_at is None
    assert storage.get_connection(PIM_B) is None


def test_connecting_again_clears_the_disconnection_and_the_scope_request(
    storage: Storage,
) -> None:
    connection = Connection(PIM_A, TOKEN, ("read_products",))
    storage.save_connection(connection)
    storage.mark_scopes_requested(PIM_A, ("read_products",))
    storage.mark_disconnected(connection)
    marked = storage.get_connection(PIM_A)
    assert marked is not None
    assert marked.scopes_requested_at is not None and marked.disconnected_at is not None

    storage.save_connection(Connection(PIM_A, "new-token", ("read_products",)))

    stored = storage.get_connection(PIM_A)
    assert stored is not None
    assert (stored.disconnected_at, stored.scopes_requested_at) == (None, None)


def test_a_scope_request_for_an_unknown_pim_stores_nothing(
    storage: Storage, database: Path
) -> None:
    storage.mark_scopes_requested(PIM_A, ("read_products",))

    assert rows(database, "SELECT * FROM connections") == []


def test_the_database_is_available(storage: Storage) -> None:
    assert storage.is_available() is True


def test_an_unreachable_database_is_not_available(make_storage: MakeStorage) -> None:
    storage = make_storage(KEY_A, database_url="sqlite:////nonexistent-dir/app.db")

    assert not Path("/nonexistent-dir").exists()
    assert storage.is_available() is False


PARALLEL = 8


def in_parallel(*calls: Callable[[], object]) -> list[object]:
    """Run the calls at once on threads (as workers would) and return their results."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_first_connections_of_one_pim_at_once_store_one_row(
    make_storage: MakeStorage, database: str
) -> None:
    workers = [make_storage(KEY_A) for _ in range(PARALLEL)]

    in_parallel(
        *(
            lambda worker=worker, n=n: worker.save_connection(
                Connection(PIM_A, f"token-{n}", ("read_products",))
            )
            for n, worker in enumerate(workers)
        )
    )

    [(count,)] = rows(database, "SELECT COUNT(*) FROM connections")
    assert count == 1
    stored = workers[0].get_connection(PIM_A)
    assert stored is not None
    assert stored.access_token in {f"token-{n}" for n in range(PARALLEL)}


def test_a_database_error_does_not_quote_the_stored_values(storage: Storage) -> None:
    storage.save_connection(Connection(PIM_A, TOKEN, ("read_products",)))
    duplicate = text(
        "INSERT INTO connections (pim_url, encrypted_token, scopes, connected_at, updated_at) "
        "VALUES (:pim_url, :token, '', :now, :now)"
    ).bindparams(bindparam("now", type_=DateTime(timezone=True)))

    with pytest.raises(IntegrityError) as raised, storage.engine.begin() as connection:
        connection.execute(
            duplicate, {"pim_url": PIM_A, "token": "secret-ciphertext", "now": datetime.now(UTC)}
        )

    assert "secret-ciphertext" not in str(raised.value)
    assert "hidden due to hide_parameters" in str(raised.value)
{%- if cookiecutter.openid_connect %}


def identity(
    sub: str = SUB, first_name: str = "Julia", email: str = "julia@example.com"
) -> Identity:
    return Identity(sub=sub, first_name=first_name, last_name="Stark", email=email)


def test_a_connection_without_identity_stores_no_user(storage: Storage, database: str) -> None:
    assert storage.save_connection(Connection(PIM_A, TOKEN, ("read_products",))) is None

    assert rows(database, "SELECT * FROM users") == []


def test_a_connecting_user_is_stored_by_pim_and_sub(storage: Storage) -> None:
    user_id = storage.save_connection(Connection(PIM_A, TOKEN, ("openid",), identity()))

    assert user_id is not None
    user = storage.get_user(user_id)
    assert user is not None
    assert (user.id, user.pim_url) == (user_id, PIM_A)
    assert (user.first_name, user.last_name, user.email) == ("Julia", "Stark", "julia@example.com")


def test_two_users_with_the_same_names_are_two_users(storage: Storage, database: str) -> None:
    first = storage.save_connection(Connection(PIM_A, TOKEN, (), identity(sub="sub-1")))
    second = storage.save_connection(Connection(PIM_A, TOKEN, (), identity(sub="sub-2")))

    assert first is not None and second is not None
    assert first != second
    assert rows(database, "SELECT sub FROM users ORDER BY id") == [("sub-1",), ("sub-2",)]


def test_a_second_login_updates_the_same_user(storage: Storage, database: str) -> None:
    first = storage.save_connection(Connection(PIM_A, TOKEN, (), identity()))
    [(first_login,)] = rows(database, "SELECT last_login_at FROM users")

    again = storage.save_connection(
        Connection(PIM_A, TOKEN, (), identity(first_name="Jules", email="jules@example.com"))
    )

    assert again == first
    assert again is not None
    user = storage.get_user(again)
    assert user is not None
    assert (user.first_name, user.email) == ("Jules", "jules@example.com")
    [(sub, second_login)] = rows(database, "SELECT sub, last_login_at FROM users")
    assert sub == SUB
    assert str(second_login) >= str(first_login)


def test_first_logins_of_one_user_at_once_store_one_user(
    make_storage: MakeStorage, database: str
) -> None:
    workers = [make_storage(KEY_A) for _ in range(PARALLEL)]

    user_ids = in_parallel(
        *(
            lambda worker=worker: worker.save_connection(
                Connection(PIM_A, TOKEN, ("openid",), identity())
            )
            for worker in workers
        )
    )

    [(user_id,)] = rows(database, "SELECT id FROM users")
    assert user_ids == [user_id] * PARALLEL


def test_the_same_sub_on_another_pim_is_another_user(storage: Storage) -> None:
    on_a = storage.save_connection(Connection(PIM_A, "token-a", (), identity()))
    on_b = storage.save_connection(Connection(PIM_B, "token-b", (), identity()))

    assert on_a is not None and on_b is not None
    assert on_a != on_b
    user_a, user_b = storage.get_user(on_a), storage.get_user(on_b)
    assert user_a is not None and user_b is not None
    assert (user_a.pim_url, user_b.pim_url) == (PIM_A, PIM_B)


def test_an_unknown_user_is_none(storage: Storage) -> None:
    known = storage.save_connection(Connection(PIM_A, TOKEN, (), identity()))

    assert known is not None
    assert storage.get_user(known + 1) is None
{%- endif %}


def test_a_state_is_redeemed_once_even_by_workers_at_once(
    make_storage: MakeStorage, database: str
) -> None:
    workers = [make_storage(KEY_A) for _ in range(PARALLEL)]
    expires_at = datetime.now(UTC) + timedelta(minutes=10)

    redeemed = in_parallel(
        *(lambda worker=worker: worker.redeem_state("the-state", expires_at) for worker in workers)
    )

    assert redeemed.count(True) == 1
    [(state_hash,)] = rows(database, "SELECT state_hash FROM redeemed_states")
    assert "the-state" not in str(state_hash)


def test_expired_states_and_sessions_are_deleted_as_new_ones_come(
    storage: Storage, database: str
) -> None:
    past = datetime.now(UTC) - timedelta(seconds=1)
    assert storage.redeem_state("old-state", past)
    old_session = storage.start_session(PIM_A,{% if cookiecutter.openid_connect %} None,{% endif %} timedelta(hours=1))
    sql(database, "UPDATE browser_sessions SET expires_at = :past", past=past)
    assert storage.get_session(old_session) is None

    assert storage.redeem_state("new-state", past + timedelta(minutes=10))
    new_session = storage.start_session(PIM_A,{% if cookiecutter.openid_connect %} None,{% endif %} timedelta(hours=1))

    assert rows(database, "SELECT COUNT(*) FROM redeemed_states") == [(1,)]
    assert rows(database, "SELECT COUNT(*) FROM browser_sessions") == [(1,)]
    assert storage.get_session(new_session) is not None


def test_an_ended_session_is_gone_for_good(storage: Storage) -> None:
    session_id = storage.start_session(PIM_A,{% if cookiecutter.openid_connect %} None,{% endif %} timedelta(hours=1))
    link = storage.get_session(session_id)
    assert link is not None and link.pim_url == PIM_A

    storage.end_session(session_id)

    assert storage.get_session(session_id) is None


def test_migrating_creates_the_sqlite_file_readable_by_its_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "private.db"

    upgrade(f"sqlite:///{database}")

    assert database.stat().st_mode & 0o777 == 0o600


def test_an_existing_sqlite_file_keeps_its_mode(tmp_path: Path) -> None:
    database = tmp_path / "shared.db"
    database.touch()
    database.chmod(0o640)

    upgrade(f"sqlite:///{database}")

    assert database.stat().st_mode & 0o777 == 0o640
