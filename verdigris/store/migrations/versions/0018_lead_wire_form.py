"""A lead's stored wire form (issue 20): ``leads.wire``, its JSON less what a search
page fills in when it reads it (``verdigris.store.wire_form``), so that a page of 200
leads reads six columns per lead instead of 35 and renders each with one ``bytes %``.

Existing leads get theirs here, in batches; a row still without one (written by an
older server meanwhile) is rendered from its columns when a page meets it.

Revision ID: 0018_lead_wire_form
Revises: 0017_opportunity_search
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

from verdigris.store.base import LeadFields
from verdigris.store.wire_form import template

revision = "0018_lead_wire_form"
down_revision = "0017_opportunity_search"
branch_labels = None
depends_on = None

_BATCH = 5000
#: progress is logged every this many leads
_REPORT_EVERY = 100_000
log = logging.getLogger("verdigris.store.migrations")


def upgrade() -> None:
    op.add_column("leads", sa.Column("wire", sa.LargeBinary(), nullable=True))
    bind = op.get_bind()
    leads = sa.table("leads", *(sa.column(name) for name in (*LeadFields._fields, "wire")))
    columns = [leads.c[name] for name in LeadFields._fields]
    write = (
        leads.update().where(leads.c.id == sa.bindparam("target")).values(wire=sa.bindparam("w"))
    )
    total = bind.execute(sa.select(sa.func.count()).select_from(leads)).scalar_one()
    if total:
        log.info(
            "migration 0018: writing the stored wire form of %d leads (once; ~1.5 min per "
            "million on a small machine)",
            total,
        )
    after = done = 0
    while True:
        rows = bind.execute(
            sa.select(*columns).where(leads.c.id > after).order_by(leads.c.id).limit(_BATCH)
        ).all()
        if not rows:
            break
        bind.execute(write, [{"target": row[0], "w": template(row)} for row in rows])
        after = rows[-1][0]
        before, done = done, done + len(rows)
        if done // _REPORT_EVERY > before // _REPORT_EVERY:
            log.info("migration 0018: %d of %d leads", done, total)


def downgrade() -> None:
    # no batch (a copy of the table): SQLite drops a column in place since 3.35
    op.drop_column("leads", "wire")
