"""The Lambda deployment package: the service package plus its locked third-party dependencies.

``package_files`` is pure (a directory walk returning archive path -> file), so tests can assert
exactly what ships; ``lambda_archive`` wraps the result for Pulumi. The dependencies are installed by
``make package`` (wheels for Python 3.13 on arm64, hashes from uv.lock); this module only reads them,
so a missing build is reported with the command that fixes it instead of deploying a broken zip.

``make package`` also compiles everything with Python 3.13, and the package ships that bytecode
(``__pycache__/*.cpython-313.pyc``) and no other: Lambda's ``/var/task`` is read-only, so without it
every cold start compiles the service in memory (measured: about 3% of the cold-start floor, see
docs/service.md). The service's own bytecode is ``checked-hash``: Python verifies it against the
source on import, so a source edited after ``make package`` still runs as edited, just slower.

On a machine without Python 3.13, ``make test`` builds the package without bytecode and says so in
``BYTECODE_SKIPPED_MARKER`` beside the dependencies directory; only then may modules ship without it
(``make package``, the deployment build, needs 3.13 and removes the marker).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import pulumi

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path, PurePath

HANDLER: Final = "document_processor.handler.lambda_handler"
"""The function's entry point (contracts: ``document_processor/handler.py``)."""
RECONCILER_HANDLER: Final = "document_processor.reconciler.lambda_handler"
"""The catalogue reconciler's entry point (lib/catalogue_stack.py), in the same package."""
PROCESSOR_HANDLER: Final = "document_processor.processor.lambda_handler"
"""The ingest processor's entry point (lib/ingest_stack.py), in the same package."""
PACKAGE_COMMAND: Final = "make package"
EXCLUDED_DIRECTORIES: Final = frozenset({"__pycache__", "tests", "test", ".mypy_cache", ".pytest_cache"})
EXCLUDED_SUFFIXES: Final = frozenset({".pyc", ".pyo"})
MAX_LISTED_FILES: Final = 5
"""How many offending files an error names before it just counts the rest."""
BYTECODE_CACHE_TAG: Final = "cpython-313"
"""``sys.implementation.cache_tag`` of the function's runtime (lib/lambda_stack.py: python3.13)."""
BYTECODE_SKIPPED_MARKER: Final = "lambda-bytecode.skipped"
"""Written next to ``build/lambda-deps`` by ``make test-package`` when it found no Python 3.13 (Makefile)."""


class LambdaPackageError(RuntimeError):
    """The package cannot be assembled; the message says what to run or fix."""


def handler_module_path(handler: str = HANDLER) -> str:
    """``pkg.module.function`` -> ``pkg/module.py``, the file the archive must contain."""
    module, _, _function = handler.rpartition(".")
    return module.replace(".", "/") + ".py"


def package_files(
    package_dir: Path, dependencies_dir: Path, *, handlers: tuple[str, ...] = (HANDLER,)
) -> dict[str, Path]:
    """Archive path -> source file for the whole deployment package, in a stable order.

    The package keeps its directory name (``document_processor/...``) so the handler's import path
    works; dependencies sit at the archive root, where Lambda's ``sys.path`` looks. Tests, test-runner
    debris and bytecode for any interpreter but the runtime's are left out. Every handler's module
    (``handlers``: the functions that run this package) must be there.
    """
    if not dependencies_dir.is_dir():
        raise LambdaPackageError(
            f"Lambda dependencies not found at {dependencies_dir}; run `{PACKAGE_COMMAND}` first "
            "(it installs the `lambda` dependency group from uv.lock for Python 3.13 on arm64)"
        )
    if not (package_dir / "__init__.py").is_file():
        raise LambdaPackageError(f"{package_dir} is not a Python package (no __init__.py)")
    files = {f"{package_dir.name}/{relative}": path for relative, path in _walk(package_dir)}
    for handler in handlers:
        required = handler_module_path(handler)
        if required not in files:
            raise LambdaPackageError(
                f"the handler module {required} ({handler}) is missing from {package_dir}"
            )
    dependencies = dict(_walk(dependencies_dir))
    if not dependencies:
        raise LambdaPackageError(f"{dependencies_dir} is empty; run `{PACKAGE_COMMAND}` again")
    clashes = sorted(name for name in dependencies if name.split("/", 1)[0] == package_dir.name)
    if clashes:
        raise LambdaPackageError(f"dependencies would overwrite the service package: {', '.join(clashes)}")
    files.update(dependencies)
    uncompiled = sorted(name for name in files if name.endswith(".py") and bytecode_path(name) not in files)
    if uncompiled and bytecode_skipped(dependencies_dir) is None:
        shown = ", ".join(uncompiled[:MAX_LISTED_FILES])
        more = f" and {len(uncompiled) - MAX_LISTED_FILES} more" if len(uncompiled) > MAX_LISTED_FILES else ""
        raise LambdaPackageError(
            f"no {BYTECODE_CACHE_TAG} bytecode for {shown}{more}; run `{PACKAGE_COMMAND}` first"
        )
    return dict(sorted(files.items()))


def bytecode_skipped(dependencies_dir: Path) -> str | None:
    """Why this build has no bytecode (the marker's text), or None for a normal ``make package`` build."""
    marker = dependencies_dir.parent / BYTECODE_SKIPPED_MARKER
    if not marker.is_file():
        return None
    return marker.read_text(encoding="utf-8").strip() or "no reason recorded"


def bytecode_path(source: str, *, cache_tag: str = BYTECODE_CACHE_TAG) -> str:
    """``pkg/module.py`` -> ``pkg/__pycache__/module.<cache_tag>.pyc`` (PEP 3147 layout)."""
    directory, _, filename = source.rpartition("/")
    compiled = f"__pycache__/{filename.removesuffix('.py')}.{cache_tag}.pyc"
    return f"{directory}/{compiled}" if directory else compiled


def lambda_archive(files: Mapping[str, Path]) -> pulumi.AssetArchive:
    """The Pulumi archive for ``aws.lambda_.Function(code=...)``."""
    return pulumi.AssetArchive({name: pulumi.FileAsset(path) for name, path in files.items()})


def _walk(root: Path) -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file():
            continue
        if _is_runtime_bytecode(relative):
            found.append((relative.as_posix(), path))
            continue
        if path.suffix in EXCLUDED_SUFFIXES:
            continue
        if any(part in EXCLUDED_DIRECTORIES for part in relative.parts[:-1]):
            continue
        if relative.name.startswith("test_") and relative.suffix == ".py":
            continue
        found.append((relative.as_posix(), path))
    # Bytecode ships only beside a source that ships, so the exclusions above (tests, caches, test
    # modules) apply to it too, and orphans of deleted modules are dropped.
    compiled_sources = {bytecode_path(name) for name, _ in found if name.endswith(".py")}
    return [(name, path) for name, path in found if not name.endswith(".pyc") or name in compiled_sources]


def _is_runtime_bytecode(relative: PurePath) -> bool:
    """``<...>/__pycache__/<module>.cpython-313.pyc``: bytecode for the function's runtime."""
    return relative.parent.name == "__pycache__" and relative.name.endswith(f".{BYTECODE_CACHE_TAG}.pyc")
