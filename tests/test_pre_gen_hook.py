"""The pre-generation hook, tested through real bakes.

Hooks run in a subprocess that inherits the test's file descriptors, so their output is
captured with ``capfd`` (``capsys`` would miss it). On a rejection, cookiecutter removes
the project folder it created just before running the hook; pytest-cookies 0.7 has no
public attribute for its output directory, but the ``cookies`` fixture bakes into
``tmp_path / "cookies" / "bakeNN"``, which is what ``assert_nothing_left`` inspects.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from typing import Any

import pytest

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
PRE_GEN_FAILED = "pre_gen_project hook script didn't exit successfully"
ANSWER_NAMES = (
    "project_name",
    "project_slug",
    "package_name",
    "framework",
    "pim_url",
    "client_id",
    "client_secret",
    "scopes",
    "openid_connect",
)
SECRET = "Sup3rS3cretValue"
# Every authorization scope of AKENEO_APPS.md section 7, Community and Enterprise.
ALL_SCOPES = (
    "read_products write_products delete_products read_catalog_structure "
    "write_catalog_structure read_attribute_options write_attribute_options "
    "read_categories write_categories read_channel_localization read_channel_settings "
    "write_channel_settings read_association_types write_association_types "
    "read_catalogs write_catalogs delete_catalogs read_asset_families "
    "write_asset_families read_assets write_assets delete_assets "
    "read_reference_entities write_reference_entities read_reference_entity_records "
    "write_reference_entity_records read_workflows read_workflow_step_assignees "
    "read_workflow_tasks write_workflow_tasks create_suggestions read_suggestions "
    "manage_suggestions"
)


def bake(cookies: Any, **answers: object) -> Any:
    # Pass the template explicitly: pytest-cookies otherwise uses the current directory.
    return cookies.bake(extra_context=answers, template=str(TEMPLATE_DIR))


def verbatim(value: str) -> str:
    """Protect a value from cookiecutter, which renders extra_context values as Jinja."""
    return "{% raw %}" + value + "{% endraw %}"


def error_lines(stderr: str) -> dict[str, str]:
    """Map each answer the pre-gen hook rejected to its message line."""
    errors = {}
    for line in stderr.splitlines():
        name = line.removeprefix("ERROR: ").partition(":")[0]
        if line.startswith("ERROR: ") and name in ANSWER_NAMES:
            assert name not in errors, f"two messages for {name}:\n{stderr}"
            errors[name] = line
    return errors


def assert_nothing_left(result: Any, tmp_path: Path) -> None:
    assert result.project_path is None
    bake_dirs = (tmp_path / "cookies").iterdir()
    left = [path for bake_dir in bake_dirs for path in bake_dir.iterdir()]
    assert left == [], f"a failed bake left files behind: {left}"


def assert_rejected(result: Any, stderr: str, tmp_path: Path, answer: str) -> str:
    """Check the bake failed on the pre-gen hook for `answer` only; return its message."""
    assert result.exit_code != 0
    assert result.exception is not None
    errors = error_lines(stderr)
    assert list(errors) == [answer], stderr
    assert "Traceback" not in stderr
    assert_nothing_left(result, tmp_path)
    return errors[answer]


def assert_accepted(
    result: Any, stderr: str, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """Check the pre-gen hook accepted the answers.

    The rest of the template is others' work in progress: if the bake fails later
    (rendering, post-gen hook), that failure is not this hook's to report.
    """
    assert error_lines(stderr) == {}, stderr
    assert PRE_GEN_FAILED not in caplog.text
    if result.exception is None:
        assert result.exit_code == 0
        assert result.project_path.is_dir()
        # The layout assert_nothing_left relies on: tmp_path / "cookies" / "bakeNN".
        assert result.project_path.parent.parent == tmp_path / "cookies"


# For each answer, {test id: (bad value, rule the message states)}; the message must also
# quote the value, or the third item of the tuple when there is one ("" for nothing).
REJECTED: dict[str, dict[str, tuple[Any, ...]]] = {
    "project_name": {
        "newline": ("My\nApp", "single line without control characters"),
    },
    "project_slug": {
        "space": ("My App", "must be kebab-case"),
        "double-hyphen": ("my--app", "must be kebab-case"),
        "digit-first": ("2-app", "starting with a letter"),
    },
    "package_name": {
        "digit-first": ("123_app", "must be a valid Python identifier"),
        "hyphen": ("my-app", "must be a valid Python identifier"),
        "non-ascii": ("café", "ASCII letters"),
        "keyword": ("class", "is a Python keyword"),
        "soft-keyword": ("match", "is a Python keyword"),
        "stdlib-json": ("json", "would shadow the module"),
        "flask": ("flask", "would shadow the module"),
        "tests": ("tests", "would shadow the module"),
    },
    "pim_url": {
        "not-a-url": ("pim.example.com", "absolute URL starting with https://"),
        "ftp-scheme": ("ftp://pim.example.com", "absolute URL starting with https://"),
        "credentials": ("https://me:pw@pim.example.com", "must not contain credentials"),
        "path": ("https://pim.example.com/pim", "must not have a path"),
        "query": ("https://pim.example.com/?lang=en", "must not have a query string"),
        "empty-query": ("https://pim.example.com?", "must not have a query string"),
        "fragment": ("https://pim.example.com/#top", "must not have a fragment"),
        "empty-fragment": ("https://pim.example.com#", "must not have a fragment"),
        "http-public-host": (
            "http://pim.example.com",
            "must use https://; http:// is only allowed for a loopback host",
        ),
        "http-localhost-lookalike": ("http://localhost.example.com", "loopback host"),
        "port-out-of-range": ("https://pim.example.com:99999", "invalid port"),
        "port-not-a-number": ("https://pim.example.com:https", "invalid port"),
        "port-empty": ("https://pim.example.com:", "invalid port"),
        "no-host": ("https://:8443", "must include a host name"),
        "bad-host": ("https://pim_1.example.com", "invalid host name"),
        "whitespace": ("https://pim.example.com ", "must not contain whitespace"),
        "empty": ("", "must not be empty", ""),
    },
    "client_id": {
        name: (f"my{char}client", "are not allowed because the value is written to")
        for name, char in [
            ("space", " "),
            ("single-quote", "'"),
            ("double-quote", '"'),
            ("backtick", "`"),
            ("hash", "#"),
            ("dollar", "$"),
            ("backslash", "\\"),
            ("newline", "\n"),
            ("tab", "\t"),
            ("control-char", "\x01"),
        ]
    },
    "scopes": {
        "empty": ("", "at least one authorization scope", ""),
        "blank": ("   ", "at least one authorization scope", ""),
        "unknown": ("read_product", "not an authorization scope known to the PIM"),
        "comma-separated": ("read_products,read_categories", "not an authorization"),
        "duplicate": (
            "read_products read_categories read_products",
            "listed more than once",
            "'read_products'",
        ),
        **{
            scope: (f"read_products {scope}", "answer yes to openid_connect", repr(scope))
            for scope in ("openid", "profile", "email")
        },
        "over-1000-chars": (
            "read_products" + " " * 1000 + "read_categories",
            "the PIM refuses a scope list longer than 1000 characters",
            "",
        ),
        "tab": ("read_products\tread_categories", "separate scopes with spaces only"),
        "newline": ("read_products\nread_categories", "separate scopes with spaces only"),
    },
    # Cookiecutter turns yes/no into booleans itself, but passes other values on as text.
    "openid_connect": {"number": (1, "must be a yes/no answer", "'1'")},
}
# Set with a bad project_slug, so that the package name derived from it stays valid.
VALID_PACKAGE_NAME = {"package_name": "my_app"}


def rejection_params() -> list[Any]:
    params = []
    for answer, cases in REJECTED.items():
        for case_id, (value, rule, *quoted) in cases.items():
            answers = {answer: value}
            if answer == "project_slug":
                answers |= VALID_PACKAGE_NAME
            expected = quoted[0] if quoted else repr(value)
            params.append(pytest.param(answers, answer, rule, expected, id=f"{answer}-{case_id}"))
    return params


@pytest.mark.parametrize(("answers", "answer", "rule", "quoted"), rejection_params())
def test_rejection(
    cookies: Any,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
    answers: dict[str, object],
    answer: str,
    rule: str,
    quoted: str,
) -> None:
    result = bake(cookies, **answers)

    message = assert_rejected(result, capfd.readouterr().err, tmp_path, answer)
    assert rule in message
    assert quoted in message


def test_a_derived_package_name_is_checked_too(
    cookies: Any, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = bake(cookies, project_name="123 app")

    errors = error_lines(capfd.readouterr().err)
    slug_message = errors.pop("project_slug")
    assert "'123-app' must be kebab-case" in slug_message
    assert "derived from project_name '123 app'" in slug_message
    package_message = errors.pop("package_name")
    assert "'123_app' must be a valid Python identifier" in package_message
    assert "derived from project_name '123 app' via project_slug '123-app'" in package_message
    assert errors == {}
    assert result.exit_code != 0
    assert_nothing_left(result, tmp_path)


@pytest.mark.parametrize(
    "secret",
    [f"{SECRET} x", f"{SECRET}#x", f"{SECRET}$x", f"{SECRET}'x", f"{SECRET}\nx"],
    ids=["space", "hash", "dollar", "quote", "newline"],
)
def test_client_secret_is_rejected_without_being_shown(
    cookies: Any,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    secret: str,
) -> None:
    result = bake(cookies, client_secret=secret)

    out, err = capfd.readouterr()
    message = assert_rejected(result, err, tmp_path, "client_secret")
    assert "not allowed because the value is written to the .env file" in message
    assert SECRET not in out + err + caplog.text


def test_framework_outside_the_choices_never_reaches_the_hook(
    cookies: Any, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Cookiecutter itself refuses a value that is not one of the choices.
    result = bake(cookies, framework="django")

    assert result.exit_code != 0
    assert "django" in str(result.exception)
    assert error_lines(capfd.readouterr().err) == {}
    assert_nothing_left(result, tmp_path)


HOSTILE = "it's '''x''' \"\"\"y\"\"\" \\ {{ 7*7 }} {% raw %} {# c #}"


def test_hostile_client_id_is_reported_as_data(
    cookies: Any, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # verbatim() stops cookiecutter rendering the value, so the hook sees the Jinja text.
    result = bake(cookies, client_id=verbatim(HOSTILE + "\nnext line"))

    err = capfd.readouterr().err
    message = assert_rejected(result, err, tmp_path, "client_id")
    assert repr(HOSTILE + "\nnext line") in message
    assert "SyntaxError" not in err


@pytest.mark.parametrize("project_name", [HOSTILE, "'''", '"""', "\\", "{{ 7*7 }}"], ids=repr)
def test_hostile_project_name_is_read_as_data(
    cookies: Any, capfd: pytest.CaptureFixture[str], tmp_path: Path, project_name: str
) -> None:
    # A bad pim_url stops the bake right after the hook: the only message must be about
    # pim_url, proving the hook parsed this project name as data and accepted it.
    result = bake(
        cookies,
        project_name=verbatim(project_name),
        project_slug="hostile-name",
        package_name="hostile_name",
        pim_url="ftp://pim.example.com",
    )

    err = capfd.readouterr().err
    assert "SyntaxError" not in err
    assert_rejected(result, err, tmp_path, "pim_url")


def test_project_name_with_a_newline_is_rejected(
    cookies: Any, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = bake(cookies, project_name=verbatim(HOSTILE + "\n2nd line"))

    err = capfd.readouterr().err
    message = assert_rejected(result, err, tmp_path, "project_name")
    assert "single line" in message
    assert "SyntaxError" not in err


def test_default_answers_pass_the_hook(
    cookies: Any,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    result = bake(cookies)

    assert_accepted(result, capfd.readouterr().err, caplog, tmp_path)


@pytest.mark.parametrize(
    "answers",
    [
        {"pim_url": "http://127.0.0.1:8080"},
        {"pim_url": "http://localhost:8080"},
        {"pim_url": "http://[::1]:8080"},
        {"pim_url": "https://my-sandbox.cloud.akeneo.com/"},
        {"pim_url": "https://pim.example.com:8443"},
        {"scopes": ALL_SCOPES},
        {"scopes": "  read_products   read_categories "},
        {"client_id": "1_abc-DEF.xyz", "client_secret": "s3cr3t-~!%^&*()=+[]{}"},
        {"framework": "flask", "openid_connect": "yes"},
    ],
    ids=[
        "http-127.0.0.1",
        "http-localhost",
        "http-ipv6-loopback",
        "trailing-slash",
        "https-port",
        "all-scopes",
        "scopes-extra-spaces",
        "client-credentials",
        "flask-openid",
    ],
)
def test_accepted_answers(
    cookies: Any,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    answers: dict[str, object],
) -> None:
    result = bake(cookies, **answers)

    assert_accepted(result, capfd.readouterr().err, caplog, tmp_path)


def test_environment_credentials_are_checked_like_the_answers(
    cookies: Any,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # The post-gen hook writes these to .env in place of the answers.
    monkeypatch.setenv("AKENEO_CLIENT_SECRET", f"{SECRET} #x")

    result = bake(cookies)

    out, err = capfd.readouterr()
    assert result.exit_code != 0
    assert "ERROR: AKENEO_CLIENT_SECRET (environment variable): the value (not shown)" in err
    assert SECRET not in out + err
    assert_nothing_left(result, tmp_path)


def test_a_rejected_package_name_derived_from_the_project_name_names_that_answer(
    cookies: Any, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = bake(cookies, project_name="Flask")

    message = assert_rejected(result, capfd.readouterr().err, tmp_path, "package_name")
    assert "'flask' would shadow the module" in message
    assert "derived from project_name 'Flask' via project_slug 'flask'" in message
    assert "give another project_name, or answer package_name explicitly" in message


def test_a_rejected_package_name_derived_from_a_typed_slug_names_the_slug(
    cookies: Any, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = bake(cookies, project_name="Shop Sync", project_slug="json")

    message = assert_rejected(result, capfd.readouterr().err, tmp_path, "package_name")
    assert "derived from project_slug 'json': give another project_slug" in message
    assert "project_name" not in message


def test_a_typed_package_name_is_not_said_to_be_derived(
    cookies: Any, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = bake(cookies, project_name="Shop Sync", package_name="flask")

    message = assert_rejected(result, capfd.readouterr().err, tmp_path, "package_name")
    assert "would shadow the module" in message
    assert "derived" not in message


def test_a_rejected_derived_slug_names_the_project_name(
    cookies: Any, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = bake(cookies, project_name="2 Shops", package_name="two_shops")

    message = assert_rejected(result, capfd.readouterr().err, tmp_path, "project_slug")
    assert "'2-shops' must be kebab-case" in message
    assert "derived from project_name '2 Shops': give another project_name" in message


def load_hook(name: str) -> Any:
    """Import a hook from the unrendered file: only its `main` holds Jinja."""
    spec = importlib.util.spec_from_file_location(name, TEMPLATE_DIR / "hooks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("version", [(3, 10, 12), (3, 9, 18), (3, 7, 0)])
def test_a_python_older_than_the_project_supports_is_refused_in_one_line(
    version: tuple[int, int, int],
) -> None:
    message = load_hook("pre_gen_project").check_python_version(version)

    assert message.startswith(f"Python {'.'.join(map(str, version))} is too old")
    assert "needs Python 3.11 or newer" in message
    assert "\n" not in message


@pytest.mark.parametrize("version", [(3, 11, 0), (3, 12, 1), (3, 13, 0)])
def test_a_supported_python_is_accepted(version: tuple[int, int, int]) -> None:
    assert load_hook("pre_gen_project").check_python_version(version) is None


def test_the_version_check_is_reachable_from_old_pythons() -> None:
    # Cookiecutter runs the hook with its own Python: an old one must parse the file to say
    # it is too old, rather than fail with a SyntaxError.
    source = (TEMPLATE_DIR / "hooks" / "pre_gen_project.py").read_text()

    ast.parse(source, feature_version=(3, 7))
    assert (
        'requires-python = ">=3.11"'
        in (TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / "pyproject.toml").read_text()
    )
