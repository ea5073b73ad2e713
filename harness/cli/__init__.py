"""The ``harness`` command line (Typer): one module per subcommand, all calling the Python API."""
