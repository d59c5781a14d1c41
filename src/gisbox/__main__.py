"""`python -m gisbox`: the same as the `gisbox` command."""

from gisbox.cli import main

main()
