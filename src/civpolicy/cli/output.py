"""The command's output: a failure to write it is told in one line, not raised as an ``OSError``.

:func:`civpolicy.cli.main` writes through :class:`Output` (standard output, and a batch's
``--output`` file), so a full disk or a closed standard output ends the command with
``civpolicy: cannot write the output: …`` and exit code 1. Only writing is guarded: an
``OSError`` while reading a file is the reader's to tell, where the file is.
"""

from __future__ import annotations

from typing import IO, Any, Protocol


class Writer(Protocol):
    """Anything text can be written to."""

    def write(self, text: str, /) -> int:
        """Write the text; return how many characters were written."""
        ...


class OutputError(Exception):
    """The command's output could not be written (a full disk, a closed standard output)."""

    def __init__(self, message: str, stream: IO[str] | None) -> None:
        super().__init__(message)
        self.stream = stream


class Output:
    """A text stream whose failures to write are told as :class:`OutputError`, not as an ``OSError``.

    Only writing is guarded: an ``OSError`` while reading a file stays what it is. A reader
    that went away (``BrokenPipeError``) passes through, to end the command quietly.
    """

    def __init__(self, stream: IO[str] | None) -> None:
        self.stream = stream

    def _failed(self, error: OSError | None) -> OutputError:
        why = "standard output is closed" if error is None else str(error.strerror or error)
        return OutputError(why, self.stream)

    def write(self, text: str) -> int:
        """Write, or raise OutputError."""
        if self.stream is None:
            raise self._failed(None)
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise self._failed(error) from None

    def flush(self) -> None:
        """Flush, or raise OutputError."""
        if self.stream is None:
            return
        try:
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise self._failed(error) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)
