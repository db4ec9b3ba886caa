"""``python -m shopops.cli``."""

from shopops.cli import main

main()
