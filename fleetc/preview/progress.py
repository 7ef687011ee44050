"""Progress of the slow parts of a preview that reaches the whole fleet.

A one-pool change reads a handful of files and finishes at once; a change
of the Fleet document reaches every region, and a 100-region fleet then
takes seconds to read and compile. On a terminal the user sees how far it
got (``fleetc preview`` draws a rich progress bar on stderr); in CI and in
tests nothing is drawn, and nothing here is part of the preview's output.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from rich.progress import TaskID

T = TypeVar("T")


class Progress(Protocol):
    """Told when a stage starts (with its number of items) and when an item of it is done."""

    def stage(self, label: str, total: int) -> None: ...

    def advance(self) -> None: ...


def tracked(items: Iterable[T], progress: Progress | None, label: str, total: int) -> Iterator[T]:
    """``items``, reporting each one to ``progress`` as the consumer takes the next."""
    if progress is None:
        yield from items
        return
    progress.stage(label, total)
    for item in items:
        yield item
        progress.advance()


class RichProgress:
    """A transient rich progress bar on stderr, one task per stage."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        self._bar = Bar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self._bar.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._bar.stop()

    def stage(self, label: str, total: int) -> None:
        if self._task is not None:
            self._bar.update(self._task, visible=False)
        self._task = self._bar.add_task(label, total=total)

    def advance(self) -> None:
        if self._task is not None:
            self._bar.advance(self._task)
