"""Persistent buttons: each one ``DynamicItem`` that builds, parses and answers its custom id.

Posts name their buttons with :class:`~bot.services.ports.ButtonSpec` values (the record a
press acts on); the cog of each feature defines the one :class:`PersistentButton` for each
spec type, registered with :func:`persistent`. The adapter sends exactly that item, and a
press after a restart finds it again through its template, as discord.py's
``examples/views/persistent.py`` does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Generic, Self, TypeVar

import discord

from bot.services.ports import ButtonSpec

SpecT = TypeVar("SpecT", bound=ButtonSpec)
ItemT = TypeVar("ItemT", bound="PersistentButton[Any]")

_BY_SPEC: dict[type[ButtonSpec], type[PersistentButton[Any]]] = {}


class PersistentButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    Generic[SpecT],
    template=r"(?!)",  # the base matches no custom id; each subclass brings its own
):
    """A button tied to one record; subclasses pass ``template=`` and implement
    :meth:`button` (its look and custom id) and :meth:`parse` (the reverse)."""

    spec_type: ClassVar[type[ButtonSpec]]

    def __init__(self, spec: SpecT) -> None:
        super().__init__(self.button(spec))
        self.spec = spec

    @classmethod
    def button(cls, spec: SpecT) -> discord.ui.Button[Any]:
        raise NotImplementedError

    @classmethod
    def parse(cls, match: Any) -> SpecT:
        raise NotImplementedError

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any
    ) -> PersistentButton[SpecT]:
        return cls(cls.parse(match))


class FixedButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?!)"):
    """A button with one custom id and no record behind it (*Keep it*, *Edit*): subclasses
    pass ``fixed_id=`` and set :attr:`label` and :attr:`style`."""

    fixed_id: ClassVar[str]
    label: ClassVar[str]
    style: ClassVar[discord.ButtonStyle] = discord.ButtonStyle.secondary

    def __init_subclass__(cls, *, fixed_id: str, **kwargs: Any) -> None:
        super().__init_subclass__(template=re.escape(fixed_id), **kwargs)
        cls.fixed_id = fixed_id

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(label=self.label, style=self.style, custom_id=self.fixed_id)
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any
    ) -> Self:
        return cls()


def persistent(spec_type: type[ButtonSpec]) -> Callable[[type[ItemT]], type[ItemT]]:
    """Register a button class as the one item for ``spec_type``."""

    def register(item: type[ItemT]) -> type[ItemT]:
        existing = _BY_SPEC.get(spec_type)
        # Loading an extension again makes the same class anew; another class is a mistake.
        if existing is not None and _name(existing) != _name(item):
            raise ValueError(f"{spec_type.__name__} already has {_name(existing)}")
        item.spec_type = spec_type
        _BY_SPEC[spec_type] = item
        return item

    return register


def _name(item: type[Any]) -> str:
    return f"{item.__module__}.{item.__qualname__}"


def item_for(spec: ButtonSpec) -> PersistentButton[Any]:
    """The button Discord gets for ``spec``."""
    try:
        return _BY_SPEC[type(spec)](spec)
    except KeyError:
        raise LookupError(f"no button is registered for {type(spec).__name__}") from None


def registered() -> dict[type[ButtonSpec], type[PersistentButton[Any]]]:
    return dict(_BY_SPEC)


def view_of(specs: tuple[ButtonSpec, ...]) -> discord.ui.View | None:
    """The post's buttons as one row (None when it has none)."""
    return button_row(item_for(spec) for spec in specs) if specs else None


def button_row(items: Iterable[discord.ui.Item[Any]]) -> discord.ui.View:
    """Dynamic buttons as one row; stopped, so discord.py keeps no view per message
    (presses reach the registered dynamic items, after a restart too)."""
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    view.stop()
    return view
