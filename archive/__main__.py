"""``python -m archive`` = ``portal-archive``."""

from archive.cli import main

main()
