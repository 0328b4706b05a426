"""The README's integration snippets, run: a fresh ``startproject`` built from the README's own text.

Every code block preceded by ``<!-- readme-test: FILE -->`` is appended to FILE of the new project (``settings.py``,
``urls.py``, ``asgi.py`` and ``views.py`` of its package; ``tests/...`` at its root; ``settings_redis.py`` is
``settings.py`` plus that block). The only other text this test writes is what a host has anyway: the routes of the
README's views and pytest-django's settings module. Then the project migrates, passes ``manage.py check`` (also with
the Redis cache), and its own test suite, the README's test-helper examples, passes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MARKED = re.compile(r"<!-- readme-test: (?P<file>[\w./]+) -->\n```(?:python|sh)\n(?P<code>.*?)\n```", re.S)
ROUTES = """
from django.urls import path

from host import views

urlpatterns += [
    path("api/issues/<str:issue_id>", views.IssueDetail.as_view()),
    path("api/service-accounts", views.ServiceAccounts.as_view()),
    path("api/payments", views.Payment.as_view()),
]
"""


def snippets() -> list[tuple[str, str]]:
    """Return (file, code) of every marked block of the README, in order."""
    return [(match["file"], match["code"]) for match in MARKED.finditer((ROOT / "README.md").read_text())]


def _run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    environment["DJANGO_SETTINGS_MODULE"] = "host.settings"
    return subprocess.run(
        [sys.executable, *args], cwd=project, env=environment, capture_output=True, text=True, timeout=300
    )


EXISTING_DRF = """
INSTALLED_APPS += ["rest_framework"]
REST_FRAMEWORK = {
    "PAGE_SIZE": 7,
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": "1000/m"},
}
SILENCED_SYSTEM_CHECKS = ["fields.W342"]
"""


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``startproject`` named ``host`` with the README's snippets in it."""
    return _build(tmp_path_factory.mktemp("readme"))


@pytest.fixture(scope="module")
def existing_drf_host(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same, in a project that had DRF and its own DRF settings before the README's snippets."""
    return _build(tmp_path_factory.mktemp("readme-existing"), EXISTING_DRF)


def _build(place: Path, existing: str = "") -> Path:
    project = place / "hostproject"
    project.mkdir()
    created = _run(project, "-m", "django", "startproject", "host", str(project))
    assert created.returncode == 0, created.stderr
    package = project / "host"
    (project / "tests").mkdir()
    (project / "tests" / "__init__.py").write_text("")
    (package / "views.py").write_text("")
    with (package / "settings.py").open("a") as file:
        file.write(existing)
    for name, code in snippets():
        target = project / name if name.startswith("tests/") else package / name
        if name == "settings_redis.py" and not target.exists():
            target.write_text("from host.settings import *  # noqa: F403\n")
        with target.open("a") as file:
            file.write(f"\n\n# --- from the README ---\n{code}\n")
    with (package / "urls.py").open("a") as file:
        file.write(ROUTES)
    pytest_ini = "[pytest]\nDJANGO_SETTINGS_MODULE = host.settings\naddopts = -p no:cacheprovider\n"
    (project / "pytest.ini").write_text(pytest_ini)
    return project


def test_the_readme_marks_the_snippets_of_the_guide_the_rate_limits_and_the_test_helpers() -> None:
    files = [name for name, _ in snippets()]
    assert {"settings.py", "urls.py", "asgi.py", "views.py", "settings_redis.py"} <= set(files)
    assert {"tests/test_errors.py", "tests/test_errors_unittest.py"} <= set(files)


def test_the_host_project_migrates_and_passes_every_check(host: Path) -> None:
    migrated = _run(host, "manage.py", "migrate", "--noinput", "-v", "0")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr

    checked = _run(host, "manage.py", "check", "--fail-level", "WARNING")

    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_in_a_project_that_had_drf_the_guide_keeps_its_drf_settings_and_passes_every_check(
    existing_drf_host: Path,
) -> None:
    migrated = _run(existing_drf_host, "manage.py", "migrate", "--noinput", "-v", "0")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    checked = _run(existing_drf_host, "manage.py", "check", "--fail-level", "WARNING")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    shown = _run(
        existing_drf_host,
        "-c",
        "import django, json; django.setup(); from django.conf import settings as s; r = s.REST_FRAMEWORK; "
        "print(json.dumps([r['PAGE_SIZE'], r['DEFAULT_PERMISSION_CLASSES'], r['DEFAULT_THROTTLE_CLASSES'], "
        "s.SILENCED_SYSTEM_CHECKS[0], s.INSTALLED_APPS.count('rest_framework')]))",
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == [
        7,
        ["rest_framework.permissions.IsAuthenticated", "causeloop_errors.policies.permissions.EnforceWorkspacePolicy"],
        ["rest_framework.throttling.AnonRateThrottle", "causeloop_errors.ratelimits.throttling.RateLimitRuleThrottle"],
        "fields.W342",
        1,
    ]


def test_the_redis_cache_snippet_passes_the_checks(host: Path) -> None:
    checked = _run(host, "manage.py", "check", "--fail-level", "WARNING", "--settings", "host.settings_redis")

    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_asgi_snippet_builds_the_application(host: Path) -> None:
    built = _run(host, "-c", "import host.asgi; print(type(host.asgi.application).__name__)")

    assert built.returncode == 0, built.stderr
    assert built.stdout.strip() == "ASGIHandler"


def test_the_readme_test_helper_examples_pass_in_the_host_project(host: Path) -> None:
    ran = _run(host, "-m", "pytest", "-q", "tests")

    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-2000:]
    assert re.search(r"\b4 passed\b", ran.stdout), ran.stdout[-2000:]
