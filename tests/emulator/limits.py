"""Discord's documented content limits that the OpenAPI spec does not (fully) encode.

Each check returns ``(field.path, ERROR_CODE, message)`` triples, rendered as a
50035 Invalid Form Body by the caller - the same shape Discord uses.
"""

from __future__ import annotations

from typing import Any

Problem = tuple[str, str, str]

MAX_CONTENT = 2000
MAX_EMBEDS = 10
EMBED_TOTAL = 6000
IS_COMPONENTS_V2 = 1 << 15


def _too_long(field: str, n: int) -> Problem:
    return (field, "BASE_TYPE_MAX_LENGTH", f"Must be {n} or fewer in length.")


def check_message(body: dict[str, Any], prefix: str = "") -> list[Problem]:
    """Content, embeds and components of a message create/edit body."""
    problems: list[Problem] = []
    content = body.get("content")
    if isinstance(content, str) and len(content) > MAX_CONTENT:
        problems.append(_too_long(f"{prefix}content", MAX_CONTENT))
    embeds = body.get("embeds") or []
    if isinstance(embeds, list):
        if len(embeds) > MAX_EMBEDS:
            problems.append(_too_long(f"{prefix}embeds", MAX_EMBEDS))
        total = 0
        for i, embed in enumerate(embeds):
            if isinstance(embed, dict):
                p, size = _check_embed(embed, f"{prefix}embeds.{i}.")
                problems += p
                total += size
        if total > EMBED_TOTAL:
            problems.append(
                (
                    f"{prefix}embeds",
                    "MAX_EMBED_SIZE_EXCEEDED",
                    f"Embed size exceeds maximum size of {EMBED_TOTAL}",
                )
            )
    components = body.get("components") or []
    flags = body.get("flags") or 0
    if isinstance(components, list) and not (isinstance(flags, int) and flags & IS_COMPONENTS_V2):
        problems += check_components(components, f"{prefix}components")
    return problems


def _check_embed(embed: dict[str, Any], p: str) -> tuple[list[Problem], int]:
    problems: list[Problem] = []
    size = 0

    def text(value: Any, field: str, limit: int) -> None:
        nonlocal size
        if isinstance(value, str):
            size += len(value)
            if len(value) > limit:
                problems.append(_too_long(p + field, limit))

    text(embed.get("title"), "title", 256)
    text(embed.get("description"), "description", 4096)
    footer = embed.get("footer") or {}
    text(footer.get("text"), "footer.text", 2048)
    author = embed.get("author") or {}
    text(author.get("name"), "author.name", 256)
    fields = embed.get("fields") or []
    if len(fields) > 25:
        problems.append(_too_long(p + "fields", 25))
    for i, f in enumerate(fields):
        if isinstance(f, dict):
            text(f.get("name"), f"fields.{i}.name", 256)
            text(f.get("value"), f"fields.{i}.value", 1024)
    return problems, size


SELECTS = frozenset({3, 5, 6, 7, 8})


def check_components(rows: list[Any], field: str, max_rows: int = 5) -> list[Problem]:
    """Classic (non-V2) layout (Component Reference, "Action Row", "Button", "Anatomy of a
    Component"): <=5 action rows; a row holds up to 5 buttons or a single select, never
    both; <=25 select options; buttons other than link and premium have a ``custom_id``
    and no ``url``, link buttons a ``url`` and no ``custom_id``; ``custom_id``s are unique
    within the message."""
    problems: list[Problem] = []
    if len(rows) > max_rows:
        problems.append(_too_long(field, max_rows))
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            continue
        children = [c for c in row.get("components") or [] if isinstance(c, dict)]
        if row.get("type") == 1 and len(children) > 5:
            problems.append(_too_long(f"{field}.{i}.components", 5))
        selects = [c for c in children if c.get("type") in SELECTS]
        if row.get("type") == 1 and selects and len(children) > 1:
            problems.append(
                (
                    f"{field}.{i}.components",
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    "A select menu takes a whole action row.",
                )
            )
        for j, child in enumerate(children):
            where = f"{field}.{i}.components.{j}"
            if len(child.get("options") or []) > 25:
                problems.append(_too_long(f"{where}.options", 25))
            if child.get("type") == 2:
                problems += _check_button(child, where)
            custom_id = child.get("custom_id")
            if isinstance(custom_id, str):
                if custom_id in seen:
                    problems.append(
                        (
                            f"{where}.custom_id",
                            "COMPONENT_CUSTOM_ID_DUPLICATED",
                            "Component custom id cannot be duplicated",
                        )
                    )
                seen.add(custom_id)
    return problems


def _check_button(button: dict[str, Any], where: str) -> list[Problem]:
    style = button.get("style")
    if style == 5:
        if not button.get("url") or button.get("custom_id"):
            return [(where, "BUTTON_COMPONENT_URL_REQUIRED", "A link button needs a url only.")]
        return []
    if style == 6:
        return []
    if not button.get("custom_id") or button.get("url"):
        return [
            (where, "BUTTON_COMPONENT_CUSTOM_ID_REQUIRED", "This button needs a custom_id only.")
        ]
    return []


def check_modal(data: dict[str, Any]) -> list[Problem]:
    comps = data.get("components") or []
    problems: list[Problem] = []
    if len(comps) > 5:
        problems.append(_too_long("data.components", 5))
    if not comps:
        problems.append(("data.components", "BASE_TYPE_REQUIRED", "This field is required"))
    return problems


# "Application Command Option Choice Structure": a string choice's value is "up to 100
# characters" (the spec allows 6000); an integer or number choice holds a number.
CHOICE_VALUE_TYPES: dict[int, tuple[type, ...]] = {3: (str,), 4: (int,), 10: (int, float)}


def check_autocomplete(data: dict[str, Any], focused: dict[str, Any] | None) -> list[Problem]:
    """Autocomplete choices (callback type 8): values fit the focused option's type, and
    string values are at most 100 characters (names 1-100 and 25 choices are the spec's)."""
    problems: list[Problem] = []
    allowed = CHOICE_VALUE_TYPES.get(int((focused or {}).get("type", 3)), (str,))
    for i, choice in enumerate(data.get("choices") or []):
        if not isinstance(choice, dict):
            continue
        value = choice.get("value")
        where = f"data.choices.{i}.value"
        if isinstance(value, bool) or not isinstance(value, allowed):
            problems.append((where, "BASE_TYPE_CHOICES", "Value does not fit the option's type"))
        elif isinstance(value, str) and len(value) > 100:
            problems.append(_too_long(where, 100))
    return problems
