"""The Pulumi program as the CLI runs it: ``Pulumi.yaml`` names no ``main``, so the program is this directory.

The CLI's Python host (``pulumi-language-python-exec``) runs ``runpy.run_path(<main>)`` from its own
install directory. For a file (``main: tap.py``) nothing puts the project on ``sys.path`` and
``import lib`` fails; for a directory ``runpy`` puts that directory on ``sys.path`` itself and runs
its ``__main__.py``. So this file only hands over to ``tap.main`` (tests/unit/infra/test_cli_loading.py
runs the program exactly that way).
"""

from __future__ import annotations

from tap import main

main()
