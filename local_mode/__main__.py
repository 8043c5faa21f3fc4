"""``python -m local_mode``: serve the API on http://127.0.0.1:$PORT with an in-memory S3."""

from __future__ import annotations

import os
import sys

from local_mode.config import load_config
from local_mode.errors import LocalModeError
from local_mode.server import serve

EXIT_CONFIGURATION_ERROR = 2


def main() -> int:
    """Validate the settings, then serve until stopped; a bad setting exits 2 with the reason."""
    try:
        serve(load_config(os.environ))
    except LocalModeError as error:
        print(f"local_mode: {error}", file=sys.stderr)
        return EXIT_CONFIGURATION_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
