"""One table of renderers, by command and format: `ledger check` and `ledger diff-figures` pick theirs from it by
name, so that a new format (SARIF, HTML) is one function registered here and one name in FORMATS."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Console

# The formats of each command, named here, where the command line reads its choices without importing the
# renderers (the figures' pull in the whole engine); the module that registers each command's renderers.
FORMATS: dict[str, tuple[str, ...]] = {"check": ("text", "json", "github"),
                                       "diff-figures": ("text", "markdown", "json")}
_MODULES = {"check": "report", "diff-figures": "diff_report"}


class Output:
    """Where a renderer writes: a text stream, and a rich console on it, made only when a renderer asks."""

    def __init__(self, stream: TextIO | None, console: Callable[[], Console] | None = None) -> None:
        self.stream = stream  # None when started with standard output closed (`ledger check >&-`)
        self._make_console = console
        self._console: Console | None = None

    def write(self, text: str) -> None:
        if self.stream is not None:  # nowhere to write: nothing to say, and no crash
            self.stream.write(text)

    @property
    def plain(self) -> bool:
        """True when rich would print no colour here (not a terminal, neither FORCE_COLOR nor TTY_COMPATIBLE set):
        text renderers then write the same lines without importing rich, a tenth of a cached check's time."""
        if "FORCE_COLOR" in os.environ or "TTY_COMPATIBLE" in os.environ:
            return False
        try:
            return self.stream is None or not self.stream.isatty()
        except (AttributeError, ValueError):
            return True

    def console(self) -> Console:
        if self._console is None:
            if self._make_console is not None:
                self._console = self._make_console()
            else:
                from rich.console import Console

                # rich leaves colour out when NO_COLOR is set or the stream is not a terminal
                self._console = Console(file=self.stream, highlight=False)
        return self._console


Renderer = Callable[[Any, Output], None]
_RENDERERS: dict[tuple[str, str], Renderer] = {}


def renderer(command: str, name: str) -> Callable[[Renderer], Renderer]:
    """Register `fn(report, out)` as the `name` format of `command`."""
    def register(fn: Renderer) -> Renderer:
        if name not in FORMATS.get(command, ()):
            raise ValueError(f"`{name}` is not a format of `{command}`: name it in ledger/output.py's FORMATS")
        _RENDERERS[(command, name)] = fn
        return fn

    return register


def renderers(command: str) -> dict[str, Renderer]:
    """Every renderer of `command`, by format."""
    importlib.import_module(f"{__package__}.{_MODULES[command]}")
    return {name: fn for (cmd, name), fn in _RENDERERS.items() if cmd == command}


def render(command: str, name: str, report: Any, out: Output) -> None:
    """Write `report` in the format `name` of `command`."""
    renderers(command)[name](report, out)
