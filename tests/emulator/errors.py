"""Discord JSON error codes and the exception REST handlers raise to answer with them."""

from __future__ import annotations

from typing import Any

UNKNOWN_CHANNEL = (404, 10003, "Unknown Channel")
UNKNOWN_GUILD = (404, 10004, "Unknown Guild")
UNKNOWN_MEMBER = (404, 10007, "Unknown Member")
UNKNOWN_MESSAGE = (404, 10008, "Unknown Message")
UNKNOWN_ROLE = (404, 10011, "Unknown Role")
UNKNOWN_USER = (404, 10013, "Unknown User")
UNKNOWN_WEBHOOK = (404, 10015, "Unknown Webhook")
UNKNOWN_INTERACTION = (404, 10062, "Unknown interaction")
UNKNOWN_EVENT = (404, 10070, "Unknown Guild Scheduled Event")
UNKNOWN_COMMAND = (404, 10063, "Unknown application command")
MAX_PINS = (400, 30003, "Maximum number of pins reached for the channel (250)")
MAX_ROLES = (400, 30005, "Maximum number of guild roles reached (250)")
MAX_CHANNELS = (400, 30013, "Maximum number of guild channels reached (500)")
FORUM_NO_MESSAGES = (400, 40058, "Cannot send a message in a forum channel")
MAX_EVENTS = (400, 30038, "Maximum number of uncompleted guild scheduled events reached (100)")
ALREADY_ACKNOWLEDGED = (400, 40060, "Interaction has already been acknowledged.")
TAG_NAMES_UNIQUE = (400, 40061, "Tag names must be unique")
TAG_REQUIRED = (400, 40067, "A tag is required to create a forum post in this channel")
MISSING_ACCESS = (403, 50001, "Missing Access")
CANNOT_EDIT_OTHERS = (403, 50005, "Cannot edit a message authored by another user")
EMPTY_MESSAGE = (400, 50006, "Cannot send an empty message")
CANNOT_DM = (403, 50007, "Cannot send messages to this user")
MISSING_PERMISSIONS = (403, 50013, "Missing Permissions")
SYSTEM_MESSAGE = (400, 50021, "Cannot execute action on a system message")
WRONG_CHANNEL_TYPE = (400, 50024, "Cannot execute action on this channel type")
INVALID_FORM_BODY = (400, 50035, "Invalid Form Body")
THREAD_ARCHIVED = (400, 50083, "Thread is archived")
NO_MUTUAL_GUILDS = (403, 50278, "Cannot send messages to this user due to having no mutual guilds")
INVALID_JSON = (400, 50109, "The request body contains invalid JSON.")
EVENT_FINISHED = (400, 180000, "Cannot update a finished event")
THREAD_ALREADY_CREATED = (400, 160004, "A thread has already been created for this message")
MAX_ACTIVE_THREADS = (400, 160006, "Maximum number of active threads reached")


class ApiError(Exception):
    """Raised by handlers; rendered as Discord's ``{"code", "message", "errors"?}``."""

    def __init__(
        self,
        spec: tuple[int, int, str],
        errors: dict[str, Any] | None = None,
        message: str | None = None,
    ) -> None:
        self.status, self.code, default = spec
        self.message = message or default
        self.errors = errors
        super().__init__(f"{self.status} {self.code} {self.message}")

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            data["errors"] = self.errors
        return data


def form_errors(problems: list[tuple[str, str, str]]) -> dict[str, Any]:
    """Nest ``(field.path, CODE, message)`` into Discord's ``errors`` tree."""
    tree: dict[str, Any] = {}
    for field, code, message in problems:
        node = tree
        parts = [p for p in field.split(".") if p] if field not in ("", "<root>") else []
        for part in parts:
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": code, "message": message})
    return tree


def invalid_form(problems: list[tuple[str, str, str]]) -> ApiError:
    return ApiError(INVALID_FORM_BODY, form_errors(problems))
