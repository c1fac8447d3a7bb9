"""The ``civpolicy`` command: one module per subcommand, the parser and exit codes in :mod:`civpolicy.cli.main`."""

from civpolicy.cli.main import main

__all__ = ["main"]
