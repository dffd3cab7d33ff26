"""Custom field definitions: list, fetch, create, update, delete.

A change that can invalidate stored values (a new data type, options removed, no
longer available on leads) carries every lead value over with
:func:`verdigris.domain.custom_fields.migrate_value` in the same transaction;
deleting a definition removes its values. Neither touches ``date_modified``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from verdigris.domain import custom_field_definitions as rules
from verdigris.domain.custom_fields import CustomFieldDefinition, migrate_value
from verdigris.domain.errors import FieldErrors, NotFound, ValidationFailed
from verdigris.services.base import Principal, ServiceBase, require_object
from verdigris.store.base import StoreConflict, StoreTx
from verdigris.wire import catalogue


def _taken(name: str | None) -> ValidationFailed:
    errors = FieldErrors()
    errors.add(
        "canonical_name",
        "taken",
        f"{name!r} is the canonical name of another custom field of this account",
    )
    return errors.failure()


class CustomFieldServices(ServiceBase):
    # custom field definitions (issue 5) ----------------------------------------------------
    def custom_field_definitions(self, who: Principal) -> list[CustomFieldDefinition]:
        with self.store.transaction(write=False) as tx:
            return tx.definitions.all(who.account_id)

    def custom_field_definition(self, who: Principal, definition_id: int) -> CustomFieldDefinition:
        with self.store.transaction(write=False) as tx:
            definition = tx.definitions.get(who.account_id, definition_id)
        if definition is None:
            raise NotFound(catalogue.NOT_FOUND_MESSAGE)
        return definition

    def create_custom_field_definition(self, who: Principal, data: Any) -> CustomFieldDefinition:
        changes = rules.parse_definition(require_object(data), creating=True)
        try:
            with self.store.transaction(write=True) as tx:
                self._check_canonical(tx, who, changes, None)
                definition = rules.build_definition(
                    None,
                    changes,
                    account_id=who.account_id,
                    allocate=lambda: tx.definitions.allocate_option_id(who.account_id),
                )
                return tx.definitions.insert(definition)
        except StoreConflict:
            raise _taken(changes.get("canonical_name")) from None

    def update_custom_field_definition(
        self, who: Principal, definition_id: int, data: Any
    ) -> CustomFieldDefinition:
        changes = rules.parse_definition(require_object(data), creating=False)
        try:
            with self.store.transaction(write=True) as tx:
                current = tx.definitions.get(who.account_id, definition_id)
                if current is None:
                    raise NotFound(catalogue.NOT_FOUND_MESSAGE)
                self._check_canonical(tx, who, changes, definition_id)
                definition = rules.build_definition(
                    current,
                    changes,
                    account_id=who.account_id,
                    allocate=lambda: tx.definitions.allocate_option_id(who.account_id),
                )
                tx.definitions.update(definition)
                if rules.values_need_migration(current, definition):
                    self._migrate_values(tx, definition)
                return definition
        except StoreConflict:
            raise _taken(changes.get("canonical_name")) from None

    def delete_custom_field_definition(self, who: Principal, definition_id: int) -> int:
        with self.store.transaction(write=True) as tx:
            current = tx.definitions.get(who.account_id, definition_id)
            if current is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            for lead in tx.leads.with_custom_value(who.account_id, definition_id):
                values = {k: v for k, v in lead.custom_fields.items() if k != definition_id}
                tx.leads.update(msgspec.structs.replace(lead, custom_fields=values))
            tx.definitions.delete(who.account_id, definition_id)
        return definition_id

    def _check_canonical(
        self, tx: StoreTx, who: Principal, changes: dict[str, Any], definition_id: int | None
    ) -> None:
        name = changes.get("canonical_name")
        if name is None:
            return
        for other in tx.definitions.all(who.account_id):
            if other.canonical_name == name and other.id != definition_id:
                raise _taken(name)

    def _migrate_values(self, tx: StoreTx, definition: CustomFieldDefinition) -> None:
        for lead in tx.leads.with_custom_value(definition.account_id, definition.id):
            old = lead.custom_fields.get(definition.id)
            new = migrate_value(definition, old)
            if new == old:
                continue
            values = dict(lead.custom_fields)
            if new is None:
                values.pop(definition.id, None)
            else:
                values[definition.id] = new
            tx.leads.update(msgspec.structs.replace(lead, custom_fields=values))
