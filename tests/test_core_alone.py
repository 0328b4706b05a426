"""The envelope core alone passes the contract suite, and no core module imports a feature app."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "causeloop_errors"
FEATURES = ("policies", "ratelimits", "audit")


def test_the_core_alone_passes_the_contract_suite() -> None:
    # A process of its own: the core-alone settings block django-otp and django-ratelimit from being imported,
    # and --noconftest keeps this suite's fixtures (which use every feature app) out.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--noconftest", "-q", "--ds=tests.core_alone.settings", "tests/core_alone"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_core_module_imports_a_feature_app() -> None:
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in FEATURES:
            continue
        feature_imports = {
            name
            for name in _imports(path)
            if name.startswith(tuple(f"causeloop_errors.{feature}" for feature in FEATURES))
            or name.startswith(("django_otp", "django_ratelimit"))
        }
        if feature_imports:
            offenders[str(relative)] = sorted(feature_imports)
    assert offenders == {}


def test_no_feature_app_imports_another() -> None:
    offenders = {}
    for feature in FEATURES:
        others = tuple(f"causeloop_errors.{other}" for other in FEATURES if other != feature)
        for path in (PACKAGE / feature).rglob("*.py"):
            found = sorted(name for name in _imports(path) if name.startswith(others))
            if found:
                offenders[str(path.relative_to(PACKAGE))] = found
    assert offenders == {}


def test_no_module_is_over_about_two_hundred_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE)): length
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.parts and (length := len(path.read_text().splitlines())) > 210
    }
    assert long == {}


def test_the_styles_and_the_catalog_do_not_import_each_other() -> None:
    # The catalog adds the configured style's codes; the styles read only the ErrorCode type (codes.py).
    styles = sorted((PACKAGE / "styles").glob("*.py"))
    assert styles
    for path in [*styles, PACKAGE / "envelope.py", PACKAGE / "codes.py"]:
        imported = _imports(path)
        assert not {"causeloop_errors.catalog", "causeloop_errors.conversion"} & imported, path.name
        assert "catalog" not in {name.rsplit(".", 1)[-1] for name in imported if name.startswith("causeloop_errors")}
