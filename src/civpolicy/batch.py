"""Evaluation at scale: many counties' facts, streamed through worker processes.

Counties are independent (rankings are taken within a county and the consequence rules
look at one unit at a time), so each county's facts are one task. Input is JSON Lines
(one county's facts document per line) or one facts file per county; output is JSON
Lines, one decision per county, in input order. At most ``2 × jobs`` counties are in
flight, so memory is bounded by the largest county, not by the population.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import IO, Any, Protocol

import attrs

from civpolicy.errors import CivpolicyError, FactsError, LocatedError, Problem
from civpolicy.facts.read import unreadable


@attrs.frozen
class Document:
    """One county's facts as text, and where it came from (``file`` or ``file:line``)."""

    origin: str
    text: str
    file: str
    line: int
    unreadable: str = ""
    """Why the file or line could not be read (its text is then empty)."""


def documents(paths: Iterable[str | Path]) -> Iterator[Document]:
    """Each county's facts: every non-blank line of a ``.jsonl`` file, or a whole other file.

    A file or line that cannot be read is a document too, which tells why, as a facts file would.
    """
    for path in paths:
        name = str(path)
        try:
            if name.endswith(".jsonl"):
                yield from _lines(name)
            else:
                yield Document(name, Path(name).read_text(encoding="utf-8"), name, 0)
        except (OSError, UnicodeDecodeError) as error:
            yield Document(name, "", name, 0, unreadable(error))


def _lines(name: str) -> Iterator[Document]:
    """The non-blank lines of a JSON Lines file, each decoded on its own (a bad byte spoils one line)."""
    with Path(name).open("rb") as stream:
        for number, raw in enumerate(stream, start=1):
            origin = f"{name}:{number}"
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                yield Document(origin, "", name, number, unreadable(error))
                continue
            if text.strip():
                yield Document(origin, text, name, number)


_WORKER_POLICY: Any = None


Spec = tuple[str | None, dict[str, Any], str | None, str, bool]
"""How a worker loads the policy: folder, parameter overrides, engine, language, ignore_out_of_force."""


class Reopens(Protocol):
    """A policy a worker process can load again: where it came from, and how to load it from there."""

    @property
    def origin(self) -> Spec | None:
        """How it was loaded (None: made otherwise, so it stays in this process)."""
        ...

    def reopen(self, origin: Spec, /) -> Any:
        """The policy ``origin`` names, loaded again."""
        ...


def _start_worker(reopen: Callable[[Spec], Any], spec: Spec) -> None:
    """Load the policy once in a worker process, as the policy's own ``reopen`` loads it."""
    global _WORKER_POLICY  # noqa: PLW0603 - one policy per worker process, loaded once
    # A forked worker inherits the command's SIGTERM handler; it should just stop, as a worker does.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _WORKER_POLICY = reopen(spec)


def evaluate_document(policy: Any, document: Document) -> tuple[str, bool]:
    """One county's decision as a JSON line (or its errors, located), and whether it failed."""
    try:
        if document.unreadable:
            raise FactsError([Problem(document.file, max(document.line, 1), 1, document.unreadable)])
        # A line is read as a .json file is: fast, and again with columns only if it has problems.
        as_json = True if document.line else None
        facts = policy.read_facts_text(document.text, document.file, as_json=as_json)
        decision = policy.evaluate(facts)
        if document.line:  # its warnings, like its problems, at the line of the file
            decision = attrs.evolve(decision, warnings=tuple(_relocate(p, document) for p in decision.warnings))
        result: dict[str, Any] = {"input": document.origin, **decision.to_dict()}
    except LocatedError as error:
        problems = [_relocate(p, document) for p in error.problems]
        result = {"input": document.origin, "errors": [str(p) for p in problems]}
    except CivpolicyError as error:
        result = {"input": document.origin, "errors": [f"{document.origin}: {error}"]}
    return json.dumps(result, ensure_ascii=False, separators=(",", ":")), "errors" in result


def _relocate(problem: Problem, document: Document) -> Problem:
    """A problem of a line, read as a document of its own (line 1), put at its line of the file."""
    if not document.line:
        return problem
    return Problem(document.file, document.line, problem.column, problem.message, problem.path)


def _document_in_worker(document: Document) -> tuple[str, bool]:
    return evaluate_document(_WORKER_POLICY, document)


def _facts_in_worker(facts: Any) -> Any:
    return _WORKER_POLICY.evaluate(facts)


def ordered_map(task: Callable[[Any], Any], items: Iterable[Any], jobs: int, policy: Reopens) -> Iterator[Any]:
    """``task`` over items in ``jobs`` worker processes, each with the policy reopened, results in input order.

    At most ``2 × jobs`` items are in flight: the input is read as results are taken.
    """
    origin = policy.origin
    if origin is None:
        raise TypeError("only a policy made by load_policy() can be reopened in worker processes")
    window: deque[Future[Any]] = deque()
    with ProcessPoolExecutor(max_workers=jobs, initializer=_start_worker, initargs=(policy.reopen, origin)) as pool:
        for item in items:
            window.append(pool.submit(task, item))
            if len(window) >= 2 * jobs:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()


def run(policy: Any, inputs: Iterable[Document], jobs: int = 1) -> Iterator[tuple[str, bool]]:
    """Each county's JSON line and whether it failed, in input order; ``jobs`` > 1 uses processes."""
    if jobs <= 1 or policy.origin is None:
        for document in inputs:
            yield evaluate_document(policy, document)
        return
    yield from ordered_map(_document_in_worker, inputs, jobs, policy)


def evaluate_many(policy: Any, facts: Iterable[Any], jobs: int = 1) -> Iterator[Any]:
    """Each facts document's decision, in input order (see Policy.evaluate_many)."""
    if jobs <= 1 or policy.origin is None:
        for item in facts:
            yield policy.evaluate(item)
        return
    yield from ordered_map(_facts_in_worker, facts, jobs, policy)


class Progress:
    """A one-line counter on stderr, only when stderr is a terminal."""

    def __init__(self, stream: IO[str] = sys.stderr, every: float = 0.5) -> None:
        self.stream = stream
        self.on = stream.isatty()
        self.every = every
        self.started = self.last = time.monotonic()
        self.count = 0
        self.failed = 0

    def step(self, failed: bool) -> None:
        """Count one county; redraw at most every ``every`` seconds."""
        self.count += 1
        self.failed += failed
        now = time.monotonic()
        if self.on and now - self.last >= self.every:
            self.last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        rate = self.count / max(now - self.started, 1e-9)
        errors = f", {self.failed} with errors" if self.failed else ""
        self.stream.write(f"\rcivpolicy: {self.count} counties, {rate:.1f}/s{errors}")
        self.stream.flush()

    def close(self) -> None:
        """Finish the line."""
        if self.on:
            self._draw(time.monotonic())
            self.stream.write("\n")


def default_jobs() -> int:
    """Processes to use: the cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1
