"""Custom field definitions: list, fetch, create, update and delete."""

from __future__ import annotations

from verdigris import wire
from verdigris.server.render import definition_out
from verdigris.server.routes import Call, RouteSpec
from verdigris.services import Services


def list_definitions(services: Services, call: Call) -> list[wire.CustomFieldDefinitionOut]:
    return [definition_out(d) for d in services.custom_field_definitions(call.principal)]


def get_definition(services: Services, call: Call) -> wire.CustomFieldDefinitionOut:
    return definition_out(services.custom_field_definition(call.principal, call.path["id"]))


def create_definition(services: Services, call: Call) -> wire.CustomFieldDefinitionOut:
    return definition_out(services.create_custom_field_definition(call.principal, call.body))


def update_definition(services: Services, call: Call) -> wire.CustomFieldDefinitionOut:
    return definition_out(
        services.update_custom_field_definition(call.principal, call.path["id"], call.body)
    )


def delete_definition(services: Services, call: Call) -> wire.DeletedOut:
    deleted = services.delete_custom_field_definition(call.principal, call.path["id"])
    return wire.DeletedOut(deleted, True)


_PATH = "/custom_field_definitions"
_ONE = _PATH + "/{id:int}"

ROUTES = [
    RouteSpec(
        "GET",
        _PATH,
        list_definitions,
        "The account's custom field definitions",
        response=list[wire.CustomFieldDefinitionOut],
    ),
    RouteSpec(
        "POST",
        _PATH,
        create_definition,
        "Create a custom field definition",
        request=wire.CustomFieldDefinitionIn,
        response=wire.CustomFieldDefinitionOut,
    ),
    RouteSpec(
        "GET",
        _ONE,
        get_definition,
        "Fetch a custom field definition",
        response=wire.CustomFieldDefinitionOut,
    ),
    RouteSpec(
        "PUT",
        _ONE,
        update_definition,
        "Update a custom field definition (options sent replace the list)",
        request=wire.CustomFieldDefinitionIn,
        response=wire.CustomFieldDefinitionOut,
    ),
    RouteSpec(
        "DELETE",
        _ONE,
        delete_definition,
        "Delete a custom field definition and its values",
        response=wire.DeletedOut,
    ),
]
