"""The generated project's tooling (CI workflow, pre-commit, Makefile, dependabot) and template
updates with cruft, checked in every framework x OpenID bake."""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import VARIANTS

TEMPLATE = Path(__file__).parent.parent
TEMPLATE_PROJECT = TEMPLATE / "{{cookiecutter.project_slug}}"
WORKFLOW = Path(".github/workflows/ci.yml")
TOOLS = Path(sys.executable).parent


def pypi_vulnerability_service_answers(project: Path) -> bool:
    """Whether PyPI's JSON API answers, from this machine, what pip-audit asks it about the
    project's first locked package (its name and version)."""
    lock = tomllib.loads((project / "uv.lock").read_text())
    package = next(found for found in lock["package"] if "registry" in found["source"])
    url = f"https://pypi.org/pypi/{package['name']}/{package['version']}/json"
    try:
        return httpx.get(url, timeout=10).status_code == 200
    except httpx.HTTPError:
        return False


GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "template-tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "template-tests@example.com",
}
ENVIRONMENT_SECRET = "secret-from-the-environment-0123456789"
# Each variant's CI run happens once, on one worker: its tests share the fixture's results.
ON_ONE_WORKER = [
    pytest.param(name, marks=pytest.mark.xdist_group(name=f"tooling-{name}")) for name in VARIANTS
]


def run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a command with the template's tools on PATH, without AKENEO_* or GIT_* variables."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AKENEO_", "GIT_", "VIRTUAL_ENV"))
    }
    environment["PATH"] = os.pathsep.join([str(TOOLS), environment.get("PATH", "")])
    return subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**environment, **GIT_IDENTITY, **env},
        timeout=900,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def commit_everything(repo: Path, message: str) -> None:
    ok(run(["git", "add", "-A"], repo))
    ok(run(["git", "commit", "-q", "-m", message], repo))


def git_init(repo: Path) -> None:
    ok(run(["git", "init", "-q", "-b", "main"], repo))
    commit_everything(repo, "Initial commit")


def workflow(project: Path) -> dict:
    return yaml.safe_load((project / WORKFLOW).read_text())


def run_steps(project: Path) -> list[tuple[str, str]]:
    """The (name, command) of each `run:` step of the CI job, in order."""
    steps = workflow(project)["jobs"]["test"]["steps"]
    return [(step["name"], step["run"]) for step in steps if "run" in step]


def makefile_targets(project: Path) -> dict[str, list[str]]:
    """Each target's recipe lines (the alternatives of an `ifdef`, when it has them)."""
    targets: dict[str, list[str]] = {}
    for line in (project / "Makefile").read_text().splitlines():
        if match := re.fullmatch(r"([a-z-]+):(?: *## .*)?", line):
            targets[match[1]] = []
        elif line.startswith("\t") and targets:
            targets[list(targets)[-1]].append(line[1:])
    return targets


# --- The files themselves: cheap checks on the shared bakes ---------------------------------------


def test_the_workflow_keeps_its_github_expressions_verbatim(baked: Path) -> None:
    source = (TEMPLATE_PROJECT / WORKFLOW).read_text()
    rendered = (baked / WORKFLOW).read_text()

    assert source.startswith("{% raw -%}\n")
    assert source.endswith("\n{%- endraw %}\n")
    assert rendered == source.removeprefix("{% raw -%}\n").removesuffix("{%- endraw %}\n")
    assert "python-version: ${{ matrix.python-version }}" in rendered
    assert "{%" not in rendered


def test_actionlint_finds_nothing(baked: Path) -> None:
    result = run(["actionlint", str(WORKFLOW)], baked)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_zizmor_finds_nothing(baked: Path) -> None:
    result = run(["zizmor", "--offline", "--persona=auditor", "."], baked)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout
    for audited in (".github/workflows/ci.yml", ".github/dependabot.yml"):
        assert f"completed ./{audited}" in result.stderr


def test_the_workflow_has_least_privilege_and_pinned_actions(baked: Path) -> None:
    ci = workflow(baked)
    job = ci["jobs"]["test"]

    assert ci["permissions"] == {}
    assert job["permissions"] == {"contents": "read"}
    for step in job["steps"]:
        if "uses" in step:
            pinned = r"(actions|astral-sh)/[a-z-]+@[0-9a-f]{40}"
            assert re.fullmatch(pinned, step["uses"]), step["uses"]
    checkout = next(step for step in job["steps"] if "checkout" in step.get("uses", ""))
    assert checkout["with"]["persist-credentials"] is False
    assert "postgres" not in (baked / WORKFLOW).read_text().lower()


def test_the_python_matrix_starts_at_the_required_python(baked: Path) -> None:
    requires = tomllib.loads((baked / "pyproject.toml").read_text())["project"]["requires-python"]
    matrix = workflow(baked)["jobs"]["test"]["strategy"]["matrix"]["python-version"]

    assert requires == ">=3.11"
    assert matrix == ["3.11", "3.12", "3.13", "3.14"]


def test_ci_runs_the_makefile_targets_then_the_audit(baked: Path) -> None:
    commands = [command for _, command in run_steps(baked)]

    assert commands == ["make install", "make lint", "make test", "make audit"]
    uses = [step.get("uses", "") for step in workflow(baked)["jobs"]["test"]["steps"]]
    assert any(action.startswith("astral-sh/setup-uv@") for action in uses)


def test_every_makefile_target_is_one_command_that_the_readme_shows(baked: Path) -> None:
    targets = makefile_targets(baked)
    readme = (baked / "README.md").read_text()
    package = baked.name.replace("-", "_")

    assert set(targets) == {"help", "install", "dev", "run", "test", "lint", "format", "audit"}
    assert targets["run"] == [f".venv/bin/python -m {package}"]
    assert targets["dev"] == [f".venv/bin/python -m {package} serve --reload"]
    with_uv, without_uv = targets.pop("install")
    assert with_uv == "uv sync --locked"
    assert without_uv.startswith("python3 -m venv --upgrade-deps .venv && ")
    assert f"| `make install` | `{with_uv}`, or without uv: `{without_uv}` |" in readme
    del targets["help"]
    for name, recipe in targets.items():
        assert len(recipe) == 1, name
        assert f"| `make {name}` | `{recipe[0]}` |" in readme, name


def test_make_without_a_target_lists_the_targets(baked: Path) -> None:
    listing = ok(run(["make"], baked))

    for name in ("install", "dev", "run", "test", "lint", "format", "audit"):
        assert re.search(rf"^  make {name} +[A-Z]", listing, re.MULTILINE), name
    assert not (baked / ".venv").exists()


def test_the_pyproject_declares_the_tools_and_skips_env_on_update(baked: Path) -> None:
    pyproject = tomllib.loads((baked / "pyproject.toml").read_text())
    dev = pyproject["dependency-groups"]["dev"]  # PEP 735: uv installs it by default

    assert "dev" not in pyproject["project"].get("optional-dependencies", {})
    for tool in ("mypy", "pip-audit", "pre-commit", "pytest", "pytest-cov", "ruff", "uv"):
        assert any(re.fullmatch(rf"{tool}>=[0-9.]+", requirement) for requirement in dev), tool
    assert pyproject["tool"]["cruft"]["skip"] == [".env"]


def test_dependabot_updates_the_lock_actions_and_images(baked: Path) -> None:
    config = yaml.safe_load((baked / ".github/dependabot.yml").read_text())

    ecosystems = {update["package-ecosystem"]: update for update in config["updates"]}
    assert set(ecosystems) == {"uv", "github-actions", "docker", "docker-compose"}
    for update in ecosystems.values():
        assert update["directory"] == "/"
        assert update["schedule"]["interval"] == "weekly"


def test_pre_commit_hooks_need_nothing_but_pypi(baked: Path) -> None:
    config = yaml.safe_load((baked / ".pre-commit-config.yaml").read_text())
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}

    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    # The project's own tools, found without an activated venv.
    for name in ("ruff-check", "ruff-format", "mypy"):
        assert hooks[name]["entry"].startswith(".venv/bin/"), name
    assert {"no-env-file", "ruff-check", "ruff-format", "mypy", "detect-private-key"} <= set(hooks)
    assert re.search(hooks["no-env-file"]["files"], ".env")
    assert not re.search(hooks["no-env-file"]["files"], ".env.example")


# --- A fresh clone on CI, and a developer's first commit: slow, once per variant -----------------


@dataclass
class ToolingRun:
    project: Path
    steps: list[tuple[str, subprocess.CompletedProcess[str]]]
    pre_commit: subprocess.CompletedProcess[str]


@pytest.fixture(scope="session")
def tooling_run(cookies_session) -> Callable[[str], ToolingRun]:
    """For a variant: a fresh bake in a git repository, with every `run:` step of its CI job run
    in order (the first creates the project's .venv), then `pre-commit run --all-files` from that
    .venv. Done once per variant and kept for the session."""
    runs: dict[str, ToolingRun] = {}

    def tooling_run_of(variant: str) -> ToolingRun:
        if variant not in runs:
            runs[variant] = run_the_tooling(cookies_session, variant)
        return runs[variant]

    return tooling_run_of


def run_the_tooling(cookies_session, variant: str) -> ToolingRun:
    # The package name sorts before `tests`, as the generated tests' import blocks expect.
    result = cookies_session.bake(
        extra_context={**VARIANTS[variant], "project_name": f"Shop Tooling {variant}"}
    )
    assert result.exit_code == 0, result.exception
    project = Path(result.project_path)
    git_init(project)
    steps = []
    for name, command in run_steps(project):
        steps.append((name, run(["bash", "-e", "-o", "pipefail", "-c", command], project)))
        if steps[-1][1].returncode != 0 and command != "make audit":
            break
    # pre-commit as the README runs it: from .venv, which is not activated (not on PATH).
    pre_commit = run(
        [str(project / ".venv" / "bin" / "pre-commit"), "run", "--all-files"],
        project,
        PATH="/usr/bin:/bin",
    )
    return ToolingRun(project, steps, pre_commit)


@pytest.mark.slow
@pytest.mark.parametrize("variant", ON_ONE_WORKER)
def test_every_ci_run_step_passes_in_a_fresh_virtual_environment(
    tooling_run: Callable[[str], ToolingRun], variant: str
) -> None:
    tooled = tooling_run(variant)
    names = [name for name, _ in tooled.steps]
    for name, result in tooled.steps[:-1]:
        assert result.returncode == 0, f"{name}:\n{result.stdout[-6000:]}{result.stderr[-3000:]}"
    assert names == [name for name, _ in run_steps(tooled.project)]

    outputs = dict(tooled.steps)
    install, lint, test, audit = (outputs[name] for name in names)
    assert (tooled.project / ".venv" / "bin" / "pip-audit").is_file()
    assert "uv sync --locked" in install.stdout  # uv is on PATH, as setup-uv puts it on CI
    assert re.search(r"Installed \d+ packages", install.stderr)
    assert "All checks passed!" in lint.stdout
    assert "Success: no issues found" in lint.stdout
    assert "Required test coverage of 95% reached" in test.stdout
    assert "pip-audit --strict" in audit.stdout
    if pypi_vulnerability_service_answers(tooled.project):
        assert audit.returncode == 0, audit.stderr
        assert "No known vulnerabilities found" in audit.stdout + audit.stderr
    else:  # strict: a dependency it could not check fails the audit, never passes silently
        assert audit.returncode != 0
        assert "could not be audited" in audit.stderr


@pytest.mark.slow
@pytest.mark.parametrize("variant", ON_ONE_WORKER)
def test_pre_commit_passes_on_a_fresh_bake_and_changes_nothing(
    tooling_run: Callable[[str], ToolingRun], variant: str
) -> None:
    tooled = tooling_run(variant)
    output = tooled.pre_commit.stdout + tooled.pre_commit.stderr

    assert tooled.pre_commit.returncode == 0, output[-6000:]
    for hook in ("ruff check", "ruff format", "mypy", "trim trailing whitespace", "check yaml"):
        assert re.search(rf"^{re.escape(hook)}\.+Passed$", output, re.MULTILINE), hook
    status = ok(run(["git", "status", "--porcelain", "--untracked-files=no"], tooled.project))
    assert status == ""


@pytest.mark.slow
@pytest.mark.parametrize("variant", ON_ONE_WORKER)
def test_pre_commit_refuses_a_staged_env_file(
    tooling_run: Callable[[str], ToolingRun], variant: str
) -> None:
    project = tooling_run(variant).project
    venv = project / ".venv" / "bin"
    ok(run(["git", "add", "--force", ".env"], project))
    try:
        result = run(
            [str(venv / "pre-commit"), "run", "no-env-file"],
            project,
            PATH=os.pathsep.join([str(venv), os.environ.get("PATH", "")]),
        )
    finally:
        ok(run(["git", "rm", "--quiet", "--cached", ".env"], project))

    assert result.returncode == 1
    assert ".env must stay out of git" in result.stdout
    assert "Failed" in result.stdout


# --- Template updates with cruft -------------------------------------------------------------


def copy_of_the_template(repo: Path) -> Path:
    """This template, as it is on disk, committed to a git repository of its own (cruft reads
    templates from git)."""
    shutil.copytree(
        TEMPLATE,
        repo,
        ignore=shutil.ignore_patterns(
            ".git", ".ci-venv", ".venv", "__pycache__", "*_cache", "akeneo-start-app"
        ),
    )
    git_init(repo)
    return repo


def cruft_create(template: Path, output: Path, variant: str, **env: str) -> Path:
    context = json.dumps({**VARIANTS[variant], "project_name": "Crufted App"})
    result = run(
        [
            *("cruft", "create", str(template), "--no-input"),
            *("--output-dir", str(output), "--extra-context", context),
        ],
        output.parent,
        **env,
    )
    ok(result)
    return output / "crufted-app"


@pytest.fixture(scope="session")
def unchanged_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_of_the_template(tmp_path_factory.mktemp("unchanged") / "template")


@pytest.fixture(scope="session", params=list(VARIANTS))
def crufted(
    request: pytest.FixtureRequest,
    unchanged_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """A project of each variant made by `cruft create`, the client secret given by environment."""
    output = tmp_path_factory.mktemp(f"crufted-{request.param}")
    return cruft_create(
        unchanged_template, output, request.param, AKENEO_CLIENT_SECRET=ENVIRONMENT_SECRET
    )


def test_cruft_check_is_clean_right_after_a_bake(crufted: Path) -> None:
    result = run(["cruft", "check"], crufted)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Project's cruft is up to date" in result.stdout


def test_a_secret_from_the_environment_stays_out_of_cruft_json(crufted: Path) -> None:
    assert f"AKENEO_CLIENT_SECRET={ENVIRONMENT_SECRET}\n" in (crufted / ".env").read_text()
    cruft_state = (crufted / ".cruft.json").read_text()
    assert json.loads(cruft_state)["context"]["cookiecutter"]["client_secret"] == ""
    assert ENVIRONMENT_SECRET not in cruft_state


@pytest.mark.parametrize("variant", VARIANTS)
def test_cruft_update_applies_a_template_change_to_an_edited_project(
    tmp_path: Path, variant: str
) -> None:
    template_repo = copy_of_the_template(tmp_path / "template")
    project = cruft_create(
        template_repo, tmp_path / "out", variant, AKENEO_CLIENT_SECRET=ENVIRONMENT_SECRET
    )
    git_init(project)
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("# Crufted App\n", "# Crufted App (ours)\n"))
    (project / "NOTES.md").write_text("Our own notes.\n")
    commit_everything(project, "Our own edits")
    env_before = (project / ".env").read_bytes()
    template_readme = template_repo / "{{cookiecutter.project_slug}}" / "README.md"
    template_readme.write_text(template_readme.read_text() + "\nNews from the template.\n")
    commit_everything(template_repo, "A new version of the template")
    assert run(["cruft", "check"], project).returncode != 0

    update = run(["cruft", "update", "--skip-apply-ask"], project)

    ok(update)
    assert "Project's cruft has been updated" in update.stdout
    text = readme.read_text()
    assert text.startswith("# Crufted App (ours)\n")
    assert text.endswith("\nNews from the template.\n")
    assert (project / "NOTES.md").read_text() == "Our own notes.\n"
    assert (project / ".env").read_bytes() == env_before
    assert stat.S_IMODE((project / ".env").stat().st_mode) == 0o600
    assert sorted(project.rglob("*.rej")) == []
    assert sorted(project.rglob("*.orig")) == []
    status = ok(run(["git", "status", "--porcelain"], project)).splitlines()
    assert sorted(line[3:] for line in status) == [".cruft.json", "README.md"]
    head = ok(run(["git", "rev-parse", "HEAD"], template_repo)).strip()
    assert json.loads((project / ".cruft.json").read_text())["commit"] == head


def test_a_secret_from_the_environment_stays_out_of_the_replay_file(tmp_path: Path) -> None:
    replay = tmp_path / "replay"
    config = tmp_path / "cookiecutter.yaml"
    config.write_text(
        f"cookiecutters_dir: {json.dumps(str(tmp_path / 'templates'))}\n"
        f"replay_dir: {json.dumps(str(replay))}\n"
    )
    result = run(
        [
            *(str(TOOLS / "cookiecutter"), "--no-input", "--config-file", str(config)),
            *("--output-dir", str(tmp_path / "out"), str(TEMPLATE)),
        ],
        tmp_path,
        AKENEO_CLIENT_SECRET=ENVIRONMENT_SECRET,
    )

    ok(result)
    env = (tmp_path / "out" / "akeneo-start-app" / ".env").read_text()
    assert f"AKENEO_CLIENT_SECRET={ENVIRONMENT_SECRET}\n" in env
    [replay_file] = replay.iterdir()
    assert json.loads(replay_file.read_text())["cookiecutter"]["client_secret"] == ""
    assert ENVIRONMENT_SECRET not in replay_file.read_text()
