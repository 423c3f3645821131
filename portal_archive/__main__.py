"""``python -m portal_archive`` = ``portal-archive``."""

from portal_archive.cli import main

main()
