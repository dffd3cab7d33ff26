"""``/openapi.json``: generated from the route table and the wire structs."""

from __future__ import annotations

from typing import Any

import msgspec

from verdigris import __version__
from verdigris.server.routes import RouteSpec
from verdigris.wire import BulkFailureOut

BASE = "/developer_api/v1"
_AUTH: list[dict[str, list[str]]] = [{"AccessToken": [], "Application": [], "UserEmail": []}]


def _ref(name: str) -> str:
    return f"#/components/schemas/{name}"


def build(routes: list[RouteSpec]) -> dict[str, Any]:
    responses = [r.response for r in routes if r.response is not None]
    schemas, components = msgspec.json.schema_components(
        [*responses, BulkFailureOut], ref_template="#/components/schemas/{name}"
    )
    by_type = dict(zip(responses, schemas, strict=False))
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        path = BASE + route.path.replace(":int", "")
        schema = by_type.get(route.response, {})
        if route.bulk:
            # one result per item, in request order: the lead, or a failure object
            schema = {
                "type": "array",
                "items": {"oneOf": [schema["items"], {"$ref": _ref("BulkFailureOut")}]},
            }
        op: dict[str, Any] = {
            "summary": route.summary,
            "security": _AUTH,
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {"application/json": {"schema": schema}},
                },
                "default": {
                    "description": "Error: a JSON body with a message (see docs/errors.md)",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            },
        }
        if "{id}" in path:
            op["parameters"] = [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
            ]
        if route.method in ("POST", "PUT"):
            op["requestBody"] = {
                "required": False,
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        paths.setdefault(path, {})[route.method.lower()] = op
    components["Error"] = {
        "type": "object",
        "properties": {
            "success": {"type": "boolean"},
            "status": {"type": "integer"},
            "message": {"type": "string"},
        },
        "required": ["message"],
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "verdigris: Copper Developer API for Leads",
            "version": __version__,
            "description": "A self-hosted, wire-compatible implementation of Copper's "
            "Developer API for Leads. Not affiliated with Copper.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "AccessToken": {"type": "apiKey", "in": "header", "name": "X-PW-AccessToken"},
                "Application": {"type": "apiKey", "in": "header", "name": "X-PW-Application"},
                "UserEmail": {"type": "apiKey", "in": "header", "name": "X-PW-UserEmail"},
            },
        },
    }
