"""``python -m docapi``: the same as the ``docapi`` command."""

from docapi.cli import main

main()
