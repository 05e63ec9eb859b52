"""What the command modules share: the handler type and how a sub-command is added."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Protocol, TypeAlias

Handler: TypeAlias = Callable[[argparse.Namespace], int]
SubParsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_command(
    common: argparse.ArgumentParser,
    parent: SubParsers,
    name: str,
    help_: str,
    handler: Handler | None = None,
) -> argparse.ArgumentParser:
    """A sub-command taking the common options; `handler` runs it (None: it has actions)."""
    p = parent.add_parser(name, parents=[common], help=help_, description=help_)
    if handler is not None:
        p.set_defaults(handler=handler)
    return p


class AddCommand(Protocol):
    def __call__(
        self, parent: SubParsers, name: str, help_: str, handler: Handler | None = None
    ) -> argparse.ArgumentParser: ...


def command_adder(common: argparse.ArgumentParser) -> AddCommand:
    """`add_command` with the common options bound: `add(parent, name, help, handler)`."""

    def add(
        parent: SubParsers, name: str, help_: str, handler: Handler | None = None
    ) -> argparse.ArgumentParser:
        return add_command(common, parent, name, help_, handler)

    return add
