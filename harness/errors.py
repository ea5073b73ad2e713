"""User-facing errors.

Every problem a user can cause or fix (a bad path, a malformed file, an unknown name, a checkpoint
that does not fit) is raised as a :class:`HarnessError` subclass whose message names the file or
field and what was expected. The CLI prints these messages without a traceback and exits with
status 2; anything else is a bug in the harness and keeps its traceback.
"""

from __future__ import annotations


class HarnessError(Exception):
    """Base class of errors whose message is meant for the user."""


class ConfigError(HarnessError):
    """A command-line option, environment variable or settings value is invalid."""


class RegistryError(HarnessError):
    """An unknown or duplicated name in a registry (dataset, protocol, method, metric)."""


class DataError(HarnessError):
    """A dataset on disk is missing, malformed, or does not match what its reader expects."""


class ProtocolError(HarnessError):
    """A protocol file is malformed or refers to something that does not exist."""


class CheckpointError(HarnessError):
    """A checkpoint is missing, unreadable, unsafe, or does not fit the architecture."""


class MetricError(HarnessError):
    """Inputs to an evaluation metric are inconsistent or leave nothing to evaluate."""


class ResultError(HarnessError):
    """A result record is missing, malformed, or of an unknown schema version."""


class UnsafePathError(HarnessError):
    """A name cannot become a file name, or a path leads outside the folder it must stay in."""


class WriteError(HarnessError, OSError):
    """A file could not be written (disk full, read-only file system, no permission).

    Raised by :mod:`harness.atomic`; the message says which file, why, what was kept and how to
    resume. It is also an :class:`OSError` (with ``errno`` and ``filename``) so code that handled a
    failed write before still does.
    """

    def __init__(self, message: str, *, errno: int | None = None, filename: str | None = None) -> None:
        super().__init__(message)
        self.errno = errno
        self.filename = filename

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
