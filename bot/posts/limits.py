"""Discord's limits on a message, and the one helper that makes every draft fit them.

A post is rendered from what people typed (names, hopes, a topic's text), so no template
alone can promise the result fits: ``fit`` is applied to every draft before it is sent,
shortening the longest texts first (ending them with "…") until every limit holds, and
``problems`` says what a draft breaks (for tests, and for a log line when ``fit`` had to
act).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.services.ports import Draft

CONTENT = 2000
EMBEDS = 10
TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
AUTHOR = 256
EMBED_TOTAL = 6000  # title, description, field names and values, footer and author, summed
BUTTONS = 5  # one row
ELLIPSIS = "…"


def shorten(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, ending in "…" when it was cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + ELLIPSIS


def problems(draft: Draft) -> list[str]:
    """Every Discord limit the draft breaks (none: it can be sent)."""
    found = []
    if len(draft.content) > CONTENT:
        found.append(f"content is {len(draft.content)} characters (limit {CONTENT})")
    if not draft.content and not draft.embeds:
        found.append("the message is empty")
    if len(draft.embeds) > EMBEDS:
        found.append(f"{len(draft.embeds)} embeds (limit {EMBEDS})")
    if len(draft.buttons) > BUTTONS:
        found.append(f"{len(draft.buttons)} buttons in one row (limit {BUTTONS})")
    total = 0
    for number, embed in enumerate(draft.embeds, start=1):
        for path, text, limit in _texts(embed):
            total += len(text)
            if len(text) > limit:
                found.append(f"embed {number} {path} is {len(text)} characters (limit {limit})")
        if len(embed.get("fields", ())) > FIELDS:
            found.append(f"embed {number} has {len(embed['fields'])} fields (limit {FIELDS})")
    if total > EMBED_TOTAL:
        found.append(f"the embeds hold {total} characters (limit {EMBED_TOTAL})")
    return found


def fit(draft: Draft) -> Draft:
    """The draft within every limit (the same draft when it already was)."""
    if not problems(draft):
        return draft
    embeds = [_fit_embed(embed) for embed in draft.embeds[:EMBEDS]]
    while sum(len(text) for embed in embeds for _, text, _ in _texts(embed)) > EMBED_TOTAL:
        embeds = _shorten_longest(embeds)
    return replace(
        draft,
        content=shorten(draft.content, CONTENT),
        embeds=tuple(embeds),
        buttons=draft.buttons[:BUTTONS],
    )


def _texts(embed: dict[str, Any]) -> list[tuple[str, str, int]]:
    """``(where, text, limit)`` for every text of an embed that Discord counts."""
    texts = [
        ("title", str(embed.get("title", "")), TITLE),
        ("description", str(embed.get("description", "")), DESCRIPTION),
        ("footer", str(embed.get("footer", {}).get("text", "")), FOOTER),
        ("author", str(embed.get("author", {}).get("name", "")), AUTHOR),
    ]
    for index, field in enumerate(embed.get("fields", ())):
        texts.append((f"field {index + 1} name", str(field.get("name", "")), FIELD_NAME))
        texts.append((f"field {index + 1} value", str(field.get("value", "")), FIELD_VALUE))
    return texts


def _fit_embed(embed: dict[str, Any]) -> dict[str, Any]:
    fitted = dict(embed)
    for key, limit in (("title", TITLE), ("description", DESCRIPTION)):
        if key in fitted:
            fitted[key] = shorten(str(fitted[key]), limit)
    if "footer" in fitted:
        fitted["footer"] = {**fitted["footer"], "text": shorten(fitted["footer"]["text"], FOOTER)}
    if "author" in fitted:
        fitted["author"] = {**fitted["author"], "name": shorten(fitted["author"]["name"], AUTHOR)}
    if "fields" in fitted:
        fitted["fields"] = [
            {
                **field,
                "name": shorten(str(field["name"]), FIELD_NAME),
                "value": shorten(str(field["value"]), FIELD_VALUE),
            }
            for field in fitted["fields"][:FIELDS]
        ]
    return fitted


def _shorten_longest(embeds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cut the longest text of all the embeds by a quarter."""
    number, where, text = max(
        ((n, where, text) for n, embed in enumerate(embeds) for where, text, _ in _texts(embed)),
        key=lambda found: len(found[2]),
    )
    assert len(text) > 1, "embeds over the total limit always have a long text"
    shorter = shorten(text, len(text) * 3 // 4)
    embed = dict(embeds[number])
    if where in ("title", "description"):
        embed[where] = shorter
    elif where == "footer":
        embed["footer"] = {**embed["footer"], "text": shorter}
    elif where == "author":
        embed["author"] = {**embed["author"], "name": shorter}
    else:  # "field N name" or "field N value"
        _, index, part = where.split()
        fields = [dict(field) for field in embed["fields"]]
        fields[int(index) - 1][part] = shorter
        embed["fields"] = fields
    return [embed if n == number else other for n, other in enumerate(embeds)]
