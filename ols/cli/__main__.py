"""``python -m ols.cli``."""

from ols.cli import main

main()
