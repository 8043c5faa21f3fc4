"""What the deployment package contains (the real one built by `make package`), and its errors."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

import pulumi
import pytest

from lib.lambda_asset import (
    BYTECODE_SKIPPED_MARKER,
    HANDLER,
    RECONCILER_HANDLER,
    LambdaPackageError,
    bytecode_path,
    bytecode_skipped,
    handler_module_path,
    lambda_archive,
    package_files,
)
from lib.settings import DEFAULT_LAMBDA_DEPENDENCIES_DIR, DEFAULT_LAMBDA_PACKAGE_DIR

if TYPE_CHECKING:
    from pathlib import Path

PYTHON_3_13_MAGIC = (3571).to_bytes(2, "little") + b"\r\n"
"""importlib.util.MAGIC_NUMBER of CPython 3.13 (Lib/importlib/_bootstrap_external.py)."""


@pytest.fixture(scope="module")
def real_package() -> dict[str, Path]:
    return package_files(DEFAULT_LAMBDA_PACKAGE_DIR, DEFAULT_LAMBDA_DEPENDENCIES_DIR)


@pytest.fixture(scope="module")
def real_compiled_package(real_package: dict[str, Path]) -> dict[str, Path]:
    """The real package, for the bytecode checks: skipped when `make test` had no Python 3.13."""
    reason = bytecode_skipped(DEFAULT_LAMBDA_DEPENDENCIES_DIR)
    if reason is not None:
        pytest.skip(f"the package was built without bytecode ({BYTECODE_SKIPPED_MARKER}): {reason}")
    return real_package


def test_the_package_holds_the_handler_the_route_table_and_the_locked_dependencies(
    real_package: dict[str, Path],
) -> None:
    assert handler_module_path(HANDLER) == "document_processor/handler.py"
    assert "document_processor/handler.py" in real_package
    assert "document_processor/__init__.py" in real_package
    assert "document_processor/routes.py" in real_package
    assert "pypdf/__init__.py" in real_package
    assert "imagesize/__init__.py" in real_package


def test_the_package_excludes_tests_caches_and_the_infrastructure(real_package: dict[str, Path]) -> None:
    for name in real_package:
        parts = name.split("/")
        assert "tests" not in parts, name
        assert not parts[-1].startswith("test_"), name
        assert parts[0] not in {"lib", "tests", "local_mode", "policy", "benchmarks"}, name
    assert "tap.py" not in real_package


def test_the_service_code_in_the_package_imports_nothing_from_the_infrastructure(
    real_package: dict[str, Path],
) -> None:
    for name, path in real_package.items():
        if not name.startswith("document_processor/") or not name.endswith(".py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        }
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        roots = {module.split(".")[0] for module in imported}
        assert not roots & {"lib", "pulumi", "pulumi_aws", "local_mode"}, name


def test_every_module_ships_with_runtime_bytecode_and_no_other(
    real_compiled_package: dict[str, Path],
) -> None:
    sources = {name for name in real_compiled_package if name.endswith(".py")}
    compiled = {name for name in real_compiled_package if name.endswith(".pyc")}

    assert compiled == {bytecode_path(source) for source in sources}
    assert all(name.endswith(".cpython-313.pyc") for name in compiled)
    assert not [
        name for name in real_compiled_package if not name.endswith((".py", ".pyc")) and "__pycache__" in name
    ]


def test_the_service_bytecode_is_python_3_13_and_checked_against_its_source(
    real_compiled_package: dict[str, Path],
) -> None:
    for name, path in real_compiled_package.items():
        if not (name.startswith("document_processor/") and name.endswith(".pyc")):
            continue
        header = path.read_bytes()[:16]
        assert header[:4] == PYTHON_3_13_MAGIC, name
        # PEP 552 flags: bit 0 = hash-based, bit 1 = check_source.
        assert int.from_bytes(header[4:8], "little") == 0b11, name


def test_bytecode_path_follows_pep_3147() -> None:
    assert (
        bytecode_path("document_processor/handler.py")
        == "document_processor/__pycache__/handler.cpython-313.pyc"
    )
    assert bytecode_path("six.py") == "__pycache__/six.cpython-313.pyc"
    assert bytecode_path("a/b.py", cache_tag="cpython-311") == "a/__pycache__/b.cpython-311.pyc"


def test_the_package_maps_archive_names_to_the_real_files(real_package: dict[str, Path]) -> None:
    assert real_package["document_processor/routes.py"] == DEFAULT_LAMBDA_PACKAGE_DIR / "routes.py"
    assert list(real_package) == sorted(real_package)


def make_package(root: Path) -> tuple[Path, Path]:
    package = root / "document_processor"
    (package / "tests" / "__pycache__").mkdir(parents=True)
    (package / "__pycache__").mkdir()
    (package / "__init__.py").write_text("")
    (package / "handler.py").write_text("def lambda_handler(event, context): ...\n")
    (package / "test_handler.py").write_text("")
    (package / "tests" / "conftest.py").write_text("")
    for compiled in ("__init__", "handler", "test_handler"):
        (package / "__pycache__" / f"{compiled}.cpython-313.pyc").write_bytes(b"")
    (package / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"")
    (package / "__pycache__" / "deleted_module.cpython-313.pyc").write_bytes(b"")
    (package / "tests" / "__pycache__" / "conftest.cpython-313.pyc").write_bytes(b"")
    (package / "stale.pyc").write_bytes(b"")
    deps = root / "deps"
    (deps / "pypdf" / "__pycache__").mkdir(parents=True)
    (deps / "pypdf" / "__init__.py").write_text("")
    (deps / "pypdf" / "__pycache__" / "__init__.cpython-313.pyc").write_bytes(b"")
    return package, deps


def test_a_long_list_of_uncompiled_modules_is_shortened(tmp_path: Path) -> None:
    package, deps = make_package(tmp_path)
    for index in range(7):
        (deps / "pypdf" / f"module_{index}.py").write_text("")

    with pytest.raises(LambdaPackageError, match=r"module_4\.py and 2 more; run `make package` first"):
        package_files(package, deps)


def test_package_files_filters_debris(tmp_path: Path) -> None:
    package, deps = make_package(tmp_path)

    assert list(package_files(package, deps)) == [
        "document_processor/__init__.py",
        "document_processor/__pycache__/__init__.cpython-313.pyc",
        "document_processor/__pycache__/handler.cpython-313.pyc",
        "document_processor/handler.py",
        "pypdf/__init__.py",
        "pypdf/__pycache__/__init__.cpython-313.pyc",
    ]


def test_a_module_without_runtime_bytecode_names_the_command_to_run(tmp_path: Path) -> None:
    package, deps = make_package(tmp_path)
    (package / "__pycache__" / "handler.cpython-313.pyc").unlink()

    with pytest.raises(
        LambdaPackageError,
        match=r"no cpython-313 bytecode for document_processor/handler\.py; run `make package` first",
    ):
        package_files(package, deps)


def test_a_build_made_without_python_3_13_ships_sources_only_and_says_why(tmp_path: Path) -> None:
    package, deps = make_package(tmp_path)
    for compiled in [*(package / "__pycache__").iterdir(), *(deps / "pypdf" / "__pycache__").iterdir()]:
        compiled.unlink()
    (deps.parent / BYTECODE_SKIPPED_MARKER).write_text("NOTE: Python 3.13 was not found.\n")

    files = package_files(package, deps)

    assert bytecode_skipped(deps) == "NOTE: Python 3.13 was not found."
    assert "document_processor/handler.py" in files
    assert "pypdf/__init__.py" in files
    assert not [name for name in files if name.endswith(".pyc")]


def test_a_normal_build_has_no_reason_to_skip_bytecode(tmp_path: Path) -> None:
    _, deps = make_package(tmp_path)

    assert bytecode_skipped(deps) is None


def test_missing_dependencies_name_the_command_to_run(tmp_path: Path) -> None:
    package, _ = make_package(tmp_path)

    with pytest.raises(LambdaPackageError, match=r"not found at .*/nowhere; run `make package` first"):
        package_files(package, tmp_path / "nowhere")


def test_empty_dependencies_are_refused(tmp_path: Path) -> None:
    package, _ = make_package(tmp_path)
    (tmp_path / "empty").mkdir()

    with pytest.raises(LambdaPackageError, match=r"empty; run `make package` again"):
        package_files(package, tmp_path / "empty")


def test_a_directory_without_init_is_not_a_package(tmp_path: Path) -> None:
    _, deps = make_package(tmp_path)

    with pytest.raises(LambdaPackageError, match=r"is not a Python package"):
        package_files(tmp_path / "deps", deps)


def test_a_missing_handler_module_is_refused(tmp_path: Path) -> None:
    package, deps = make_package(tmp_path)

    with pytest.raises(LambdaPackageError, match=r"handler module document_processor/app\.py"):
        package_files(
            package,
            deps,
            handlers=("document_processor.handler.lambda_handler", "document_processor.app.main"),
        )


def test_a_package_without_the_reconciler_module_is_refused_for_the_stack(tmp_path: Path) -> None:
    """TapStack deploys both functions from one package: both handlers' modules must be in it."""
    package, deps = make_package(tmp_path)

    with pytest.raises(LambdaPackageError, match=r"handler module document_processor/reconciler\.py"):
        package_files(package, deps, handlers=(HANDLER, RECONCILER_HANDLER))
    (package / "reconciler.py").write_text("def lambda_handler(event, context): ...\n")
    (package / "__pycache__" / "reconciler.cpython-313.pyc").write_bytes(b"")
    assert "document_processor/reconciler.py" in package_files(
        package, deps, handlers=(HANDLER, RECONCILER_HANDLER)
    )


def test_dependencies_may_not_shadow_the_service_package(tmp_path: Path) -> None:
    package, deps = make_package(tmp_path)
    (deps / "document_processor").mkdir()
    (deps / "document_processor" / "handler.py").write_text("")

    with pytest.raises(
        LambdaPackageError, match=r"overwrite the service package: document_processor/handler\.py"
    ):
        package_files(package, deps)


def test_lambda_archive_wraps_each_file_as_an_asset(tmp_path: Path) -> None:
    package, deps = make_package(tmp_path)
    files = package_files(package, deps)

    archive = lambda_archive(files)

    assert isinstance(archive, pulumi.AssetArchive)
    assert all(isinstance(asset, pulumi.FileAsset) for asset in archive.assets.values())
    assert {
        name: asset.path for name, asset in archive.assets.items() if isinstance(asset, pulumi.FileAsset)
    } == {name: str(path) for name, path in files.items()}
