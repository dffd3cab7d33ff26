"""The caller's account and its lookups: users, lead statuses, customer sources."""

from __future__ import annotations

import msgspec


class StatusOut(msgspec.Struct):
    id: int
    name: str
    order: int
    is_default: bool


class SourceOut(msgspec.Struct):
    id: int
    name: str


class GroupOut(msgspec.Struct):
    """A team a user belongs to (verdigris has no teams: the list is always empty)."""

    id: int
    name: str


class UserOut(msgspec.Struct):
    id: int
    name: str
    email: str
    groups: list[GroupOut]


class AccountSettingsOut(msgspec.Struct):
    setting_team_permissions_enabled: bool
    setting_enable_leads: bool


class AccountOut(msgspec.Struct):
    id: int
    name: str
    primary_timezone: str
    settings: AccountSettingsOut
