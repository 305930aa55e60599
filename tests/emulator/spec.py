"""Validation of request bodies/query strings against Discord's OpenAPI 3.1 spec.

The spec is loaded and indexed once per process (``load_spec``); a Draft 2020-12
validator per (operation, content-type) is compiled lazily and cached, so the
first request to an operation pays a few ms and later ones almost nothing.

Deliberate leniencies (Discord's own API accepts these; see README):

* ``SnowflakeType`` (string with a digits pattern) also accepts non-negative
  integers - discord.py sends e.g. ``parent_id`` and overwrite ids as ints.
* Integer properties named ``allow``, ``deny`` and ``permissions`` also accept a
  string of digits - discord.py sends permission bitfields as strings (Discord
  itself serialises them as strings, since they exceed 2**53).
* Query parameters are coerced from their string form to the declared type
  ("1"/"true" are booleans, digits are integers) before validation.
* ``format`` keywords are not asserted (the snowflake pattern still is).
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import referencing
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match, relevance
from referencing.jsonschema import DRAFT202012

SPEC_URI = "urn:discord-openapi"
#: The unmodified document, for responses: what the emulator answers is held to the spec as
#: written (snowflakes and permissions as strings), without the request leniencies.
STRICT_URI = "urn:discord-openapi-strict"
SPEC_ENV = "DISCORD_OPENAPI_SPEC"
SPEC_SOURCE = (
    "Discord's public `discord-api-spec` repository on GitHub "
    "(https://github.com/discord/discord-api-spec, specs/openapi.json)"
)
_DIGITS = re.compile(r"^-?[0-9]+$")
#: how many validation results are remembered (oldest forgotten first)
_RESULTS_KEPT = 20_000


def default_spec_path() -> Path:
    """``$DISCORD_OPENAPI_SPEC`` or ``<repo>/../shared/discord-openapi/openapi.json``."""
    env = os.environ.get(SPEC_ENV)
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2]
    return repo.parent / "shared" / "discord-openapi" / "openapi.json"


@dataclass(frozen=True)
class Violation:
    """One request (or, with ``kind="response"``, one emulator answer) that does not
    conform to the spec."""

    method: str
    route: str
    path: str
    field: str
    reason: str
    kind: str = "request"
    status: int | None = None

    def __str__(self) -> str:
        where = f"{self.method} {self.route} ({self.path})"
        if self.kind == "response":
            where = f"response {self.status} to {where}"
        return f"{where}: field {self.field!r}: {self.reason}"


#: Leniency is applied to the document (see _make_lenient), not the validator class.
LenientValidator = Draft202012Validator
_BITFIELD_PROPERTIES = frozenset({"allow", "deny", "permissions"})


def _template_regex(template: str) -> re.Pattern[str]:
    parts = []
    for seg in template.strip("/").split("/"):
        if seg.startswith("{") and seg.endswith("}"):
            parts.append(f"(?P<{seg[1:-1]}>[^/]+)")
        else:
            parts.append(re.escape(seg))
    return re.compile("^/" + "/".join(parts) + "$")


class PathIndex:
    """Maps concrete paths to templated ones, preferring literal segments (``@me``)."""

    def __init__(self, templates: list[str]) -> None:
        entries = []
        for t in templates:
            segs = t.strip("/").split("/")
            literals = sum(1 for s in segs if not s.startswith("{"))
            entries.append((len(segs), literals, t, _template_regex(t)))
        # most literal segments first so /users/@me beats /users/{user_id}
        entries.sort(key=lambda e: (-e[1], -e[0]))
        self._entries = entries

    def match(self, path: str) -> tuple[str, dict[str, str]] | None:
        for _, _, template, rx in self._entries:
            m = rx.match(path)
            if m:
                return template, m.groupdict()
        return None


class Spec:
    """An indexed OpenAPI document."""

    def __init__(self, document: dict[str, Any], source: Path | None = None) -> None:
        self.source = source
        self.strict_document = _response_document(document)
        self.document = _make_lenient(document)
        resource = referencing.Resource.from_contents(
            self.document, default_specification=DRAFT202012
        )
        strict = referencing.Resource.from_contents(
            self.strict_document, default_specification=DRAFT202012
        )
        self.registry: referencing.Registry[Any] = (
            referencing.Registry()
            .with_resource(SPEC_URI, resource)
            .with_resource(STRICT_URI, strict)
        )
        self.paths: dict[str, dict[str, Any]] = self.document["paths"]
        self.index = PathIndex(list(self.paths))
        self._validators: dict[tuple[str, str, str], Any] = {}
        self._results: dict[tuple[tuple[str, ...], str], list[tuple[str, str]]] = {}

    def operation(self, method: str, template: str) -> dict[str, Any] | None:
        item = self.paths.get(template)
        if item is None:
            return None
        return item.get(method.lower())

    def match(self, method: str, path: str) -> str | None:
        found = self.index.match(path)
        if found is None:
            return None
        template = found[0]
        return template if self.operation(method, template) is not None else None

    def _validator(self, method: str, template: str, content_type: str) -> Any | None:
        key = (method, template, content_type)
        if key in self._validators:
            return self._validators[key]
        op = self.operation(method, template)
        validator = None
        if op is not None and "requestBody" in op:
            content = op["requestBody"].get("content", {})
            if content_type in content:
                pointer = "/".join(
                    _escape(p)
                    for p in (
                        "paths",
                        template,
                        method.lower(),
                        "requestBody",
                        "content",
                        content_type,
                        "schema",
                    )
                )
                validator = LenientValidator(
                    {"$ref": f"{SPEC_URI}#/{pointer}"}, registry=self.registry
                )
        self._validators[key] = validator
        return validator

    def validate_body(self, method: str, template: str, body: Any) -> list[tuple[str, str]]:
        """Validate a JSON body (multipart payload_json is validated the same way)."""
        op = self.operation(method, template)
        if op is None:
            return []
        if "requestBody" not in op:
            if body not in (None, {}, b"", ""):
                return [("<body>", "this operation takes no request body")]
            return []
        if body is None:
            if op["requestBody"].get("required"):
                return [("<body>", "request body is required")]
            return []
        validator = self._validator(method, template, "application/json")
        if validator is None:
            return [("<body>", "operation does not accept application/json")]

        def check() -> list[tuple[str, str]]:
            error = _narrow(list(validator.iter_errors(body)))
            return [] if error is None else [(_field(error), _reason(error))]

        return self._remembered(("request", method, template), body, check)

    def _remembered(
        self, key: tuple[str, ...], body: Any, check: Callable[[], list[tuple[str, str]]]
    ) -> list[tuple[str, str]]:
        """Validation results by (schema, body): a bot sends the same request bodies over
        and over (posts, overwrites, syncs), and validating one costs milliseconds."""
        try:
            text = json.dumps(body, sort_keys=True)
        except (TypeError, ValueError):
            return check()
        found = self._results.get((key, text))
        if found is None:
            found = check()
            if len(self._results) >= _RESULTS_KEPT:
                self._results.pop(next(iter(self._results)))
            self._results[(key, text)] = found
        return list(found)

    def validate_response(
        self, method: str, template: str, status: int, body: Any
    ) -> list[tuple[str, str]]:
        """Validate a response the emulator sends against the schema declared for that
        operation and status (``"200"``, then ``"4XX"``, then ``"default"``)."""
        op = self.operation(method, template)
        if op is None:
            return []
        responses = op.get("responses", {})
        for key in (str(status), f"{status // 100}XX", "default"):
            if key in responses:
                break
        else:
            declared = ", ".join(sorted(responses))
            return [("<status>", f"status {status} is not declared (declared: {declared})")]
        pointer = ["paths", template, method.lower(), "responses", key]
        declared_response = responses[key]
        while "$ref" in declared_response:
            pointer = declared_response["$ref"][2:].split("/")
            pointer = [p.replace("~1", "/").replace("~0", "~") for p in pointer]
            declared_response = self._deref(declared_response)
        content = declared_response.get("content") or {}
        if "application/json" not in content:
            if body is not None:
                return [("<body>", f"status {status} is declared without a body")]
            return []
        if body is None:
            return [("<body>", f"status {status} is declared with a JSON body, none was sent")]
        cache_key = ("response", "/".join(pointer), "")
        validator = self._validators.get(cache_key)
        if validator is None:
            ref = "/".join(_escape(p) for p in (*pointer, "content", "application/json", "schema"))
            validator = Draft202012Validator(
                {"$ref": f"{STRICT_URI}#/{ref}"}, registry=self.registry
            )
            self._validators[cache_key] = validator
        # Not remembered: answers carry fresh ids and timestamps, so they never repeat.
        found: list[tuple[str, str]] = []
        for top in validator.iter_errors(body):
            error = _narrow([top])
            if error is not None and (_field(error), _reason(error)) not in found:
                found.append((_field(error), _reason(error)))
        return found

    def validate_query(
        self, method: str, template: str, query: dict[str, str]
    ) -> list[tuple[str, str]]:
        """Validate known query parameters (unknown ones are ignored, as Discord does)."""
        problems = []
        for pointer, param in self._query_params(method, template):
            if param["name"] not in query:
                continue
            value = _coerce_query(query[param["name"]], self._deref(param.get("schema", {})))
            key = ("query", pointer, "")
            validator = self._validators.get(key)
            if validator is None:
                validator = LenientValidator(
                    {"$ref": f"{SPEC_URI}#/{pointer}/schema"}, registry=self.registry
                )
                self._validators[key] = validator
            err = best_match(validator.iter_errors(value))
            if err is not None:
                problems.append((f"?{param['name']}", _reason(err)))
        return problems

    def _query_params(self, method: str, template: str) -> list[tuple[str, dict[str, Any]]]:
        found = []
        item = self.paths[template]
        for prefix, params in (
            (("paths", template, "parameters"), item.get("parameters", [])),
            (
                ("paths", template, method.lower(), "parameters"),
                (item.get(method.lower()) or {}).get("parameters", []),
            ),
        ):
            for i, p in enumerate(params):
                p = self._deref(p)
                if p.get("in") == "query":
                    found.append(("/".join(_escape(x) for x in (*prefix, str(i))), p))
        return found

    def _deref(self, obj: dict[str, Any]) -> dict[str, Any]:
        while isinstance(obj, dict) and "$ref" in obj and obj["$ref"].startswith("#/"):
            node: Any = self.document
            for part in obj["$ref"][2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            obj = node
        return obj


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _coerce_query(raw: str, schema: dict[str, Any]) -> Any:
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if "boolean" in types:
        low = raw.lower()
        if low in ("true", "1"):
            return True
        if low in ("false", "0"):
            return False
    if "integer" in types and _DIGITS.match(raw):
        return int(raw)
    if "number" in types:
        try:
            return float(raw)
        except ValueError:
            pass
    return raw


def _narrow(errors: list[ValidationError]) -> ValidationError | None:
    """Pick the most useful error, descending into anyOf/oneOf unions.

    Discord's unions (interaction callbacks, components) are discriminated by an
    integer ``type`` field; the branch whose ``type`` matches gives a far more
    useful error than "is not valid under any of the given schemas" or than a
    ``type`` mismatch in some unrelated branch.
    """
    if not errors:
        return None
    error = max(errors, key=relevance)
    while error.validator in ("anyOf", "oneOf") and error.context:
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        candidates = [
            errs
            for errs in branches.values()
            if not any(
                list(e.relative_path) == ["type"] and e.validator in ("enum", "const") for e in errs
            )
        ]
        if len(candidates) > 1:
            # No discriminator decides: the branch the body comes closest to (fewest
            # errors) names the field, e.g. a text-thread body is not a forum post.
            fewest = min(len(errs) for errs in candidates)
            closest = [errs for errs in candidates if len(errs) == fewest]
            if len(closest) == 1:
                candidates = closest
        if len(candidates) != 1:
            return best_match([error])
        error = max(candidates[0], key=relevance)
    return error


def _field(error: ValidationError) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    return path or "<root>"


def _reason(error: ValidationError) -> str:
    inst = error.instance
    if error.validator == "maxLength" and isinstance(inst, str):
        return f"string of length {len(inst)} is longer than maxLength {error.validator_value}"
    if error.validator == "maxItems" and isinstance(inst, list):
        return f"{len(inst)} items is more than maxItems {error.validator_value}"
    msg = error.message
    return msg if len(msg) <= 300 else msg[:297] + "..."


def _make_lenient(document: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    schemas = doc.get("components", {}).get("schemas", {})
    snowflake = schemas.get("SnowflakeType")
    if snowflake is not None:
        schemas["SnowflakeType"] = {
            "anyOf": [snowflake, {"type": "integer", "minimum": 0}],
            "format": "snowflake",
        }

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict):
                for name in _BITFIELD_PROPERTIES & set(props):
                    sub = props[name]
                    types = sub.get("type") if isinstance(sub, dict) else None
                    types = types if isinstance(types, list) else [types]
                    if "integer" in types and "string" not in types:
                        props[name] = {"anyOf": [sub, {"type": "string", "pattern": "^[0-9]+$"}]}
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    return doc


def _response_document(document: dict[str, Any]) -> dict[str, Any]:
    """The spec for responses: as written, except one place where it contradicts Discord's
    own documentation. Field errors inside ``errors`` carry string codes such as
    ``BASE_TYPE_REQUIRED`` (Reference, "Error Messages"); the spec reuses its integer-coded
    ``Error`` schema there."""
    doc = copy.deepcopy(document)
    inner = doc.get("components", {}).get("schemas", {}).get("InnerErrors")
    if inner is not None and "_errors" in inner.get("properties", {}):
        inner["properties"]["_errors"]["items"] = {
            "type": "object",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            "required": ["code", "message"],
        }
    return doc


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> Spec:
    with open(path, encoding="utf-8") as fh:
        return Spec(json.load(fh), Path(path))


def load_spec(path: Path | None = None) -> Spec | None:
    """The indexed spec, or None when the file does not exist (cached per process)."""
    path = path or default_spec_path()
    if not path.is_file():
        return None
    return _load(str(path), path.stat().st_mtime)
