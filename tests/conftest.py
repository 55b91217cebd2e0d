"""Baked projects shared by the template's tests."""

from pathlib import Path

import pytest

# Every framework x OpenID combination; the first is what `--no-input` bakes.
VARIANTS = {
    "fastapi": {"framework": "fastapi", "openid_connect": False},
    "fastapi-openid": {"framework": "fastapi", "openid_connect": True},
    "flask": {"framework": "flask", "openid_connect": False},
    "flask-openid": {"framework": "flask", "openid_connect": True},
}
CLIENT_ID = "prompted-client-id"
CLIENT_SECRET = "prompted-client-secret-value"


@pytest.fixture(autouse=True)
def no_credentials_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hooks read credentials from the environment first: tests start without any."""
    monkeypatch.delenv("AKENEO_CLIENT_ID", raising=False)
    monkeypatch.delenv("AKENEO_CLIENT_SECRET", raising=False)


@pytest.fixture(scope="session", params=list(VARIANTS))
def baked(request: pytest.FixtureRequest, cookies_session) -> Path:
    """A project of each variant, baked once per test session, with credentials answered."""
    result = cookies_session.bake(
        extra_context={
            **VARIANTS[request.param],
            "project_name": f"Shop Sync {request.param}",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }
    )
    assert result.exit_code == 0, result.exception
    return Path(result.project_path)
