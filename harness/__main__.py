"""``python -m harness`` runs the command line."""

from harness.cli.app import main

main()
