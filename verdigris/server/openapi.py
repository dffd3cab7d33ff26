"""``/openapi.json``: generated from the route table and the wire structs."""

from __future__ import annotations

from typing import Any

import msgspec

from verdigris import __version__
from verdigris.server.routes import RouteSpec
from verdigris.wire import BulkFailureOut
from verdigris.wire.activities import ActivityBulkFailureOut

BASE = "/developer_api/v1"
_AUTH: list[dict[str, list[str]]] = [{"AccessToken": [], "Application": [], "UserEmail": []}]


def _ref(name: str) -> str:
    return f"#/components/schemas/{name}"


def build(routes: list[RouteSpec]) -> dict[str, Any]:
    responses = [r.response for r in routes if r.response is not None]
    requests = list(dict.fromkeys(r.request for r in routes if r.request is not None))
    types = [*responses, BulkFailureOut, ActivityBulkFailureOut, *requests]
    schemas, components = msgspec.json.schema_components(
        types, ref_template="#/components/schemas/{name}"
    )
    by_type = dict(zip(types, schemas, strict=False))
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        path = route.full_path.replace(":int", "")
        schema = by_type.get(route.response, {})
        if route.bulk:
            # one result per item, in request order: the record, or a failure object
            # (an activity's failure has no id, as on Copper's Bulk Create Activities page)
            activities = route.path.startswith("/activities")
            failure = "ActivityBulkFailureOut" if activities else "BulkFailureOut"
            schema = {
                "type": "array",
                "items": {"oneOf": [schema["items"], {"$ref": _ref(failure)}]},
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
            # ids are whole numbers, except /users/{id}, which also takes "me"
            kind = "integer" if "{id:int}" in route.path else "string"
            op["parameters"] = [
                {"name": "id", "in": "path", "required": True, "schema": {"type": kind}}
            ]
        if route.method in ("POST", "PUT"):
            body = by_type[route.request] if route.request is not None else {"type": "object"}
            op["requestBody"] = {
                "required": False,
                "content": {"application/json": {"schema": body}},
            }
        paths.setdefault(path, {})[route.method.lower()] = op
    components["Error"] = {
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    "success": {"type": "boolean"},
                    "status": {"type": "integer"},
                    "message": {"type": "string"},
                    "errors": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"error": {"type": "string"}},
                                "required": ["error"],
                            },
                        },
                    },
                    "ids": {"type": "array", "items": {"type": "integer"}},
                },
                "required": ["success", "status", "message"],
            },
            {
                # a bulk request over the item limit: Copper's documented body
                "type": "object",
                "properties": {"error": {"type": "string"}},
                "required": ["error"],
            },
        ]
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
