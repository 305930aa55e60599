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


def check_components(rows: list[Any], field: str, max_rows: int = 5) -> list[Problem]:
    """Classic (non-V2) layout: <=5 action rows, <=25 select options."""
    problems: list[Problem] = []
    if len(rows) > max_rows:
        problems.append(_too_long(field, max_rows))
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            continue
        children = row.get("components") or []
        if row.get("type") == 1 and len(children) > 5:
            problems.append(_too_long(f"{field}.{i}.components", 5))
        for j, child in enumerate(children):
            if isinstance(child, dict) and len(child.get("options") or []) > 25:
                problems.append(_too_long(f"{field}.{i}.components.{j}.options", 25))
    return problems


def check_modal(data: dict[str, Any]) -> list[Problem]:
    comps = data.get("components") or []
    problems: list[Problem] = []
    if len(comps) > 5:
        problems.append(_too_long("data.components", 5))
    if not comps:
        problems.append(("data.components", "BASE_TYPE_REQUIRED", "This field is required"))
    return problems
