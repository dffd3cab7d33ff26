"""tasks and task_tags: Copper's task resource and a lead's related items (issue 16)

A task relates to one record at most (Copper's Related Items: "Tasks: ... (limit 1
total)"), so the relation lives on the task (related_type, related_id);
ix_tasks_related serves ``GET /leads/{id}/related``. task_tags holds each task's tag
keys, for the tags filter of a task search and ``GET /tags``.

Revision ID: 0010_tasks
Revises: 0009_status_order_from_one
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_tasks"
down_revision = "0009_status_order_from_one"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Key = sa.String(255).with_variant(sa.String(255, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("name_key", Key, nullable=False, server_default=""),
        sa.Column("related_type", sa.String(16), nullable=True),
        sa.Column("related_id", Id, nullable=True),
        sa.Column("assignee_id", Id, nullable=True),
        sa.Column("due_date", sa.BigInteger, nullable=True),
        sa.Column("reminder_date", sa.BigInteger, nullable=True),
        sa.Column("completed_date", sa.BigInteger, nullable=True),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("details", sa.Text, nullable=True),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("custom_fields", sa.Text, nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_modified", sa.BigInteger, nullable=False),
        sa.Column("due_key", sa.BigInteger, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_tasks_account", "tasks", ["account_id", "id"])
    op.create_index("ix_tasks_related", "tasks", ["account_id", "related_type", "related_id"])
    op.create_index("ix_tasks_due", "tasks", ["account_id", "due_key", "id"])
    op.create_index("ix_tasks_name", "tasks", ["account_id", "name_key", "id"])
    op.create_table(
        "task_tags",
        sa.Column("task_id", Id, sa.ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("tag", Key, primary_key=True),
        sa.Column("account_id", Id, nullable=False),
    )
    op.create_index("ix_task_tags_search", "task_tags", ["account_id", "tag", "task_id"])


def downgrade() -> None:
    op.drop_index("ix_task_tags_search", table_name="task_tags")
    op.drop_table("task_tags")
    op.drop_index("ix_tasks_name", table_name="tasks")
    op.drop_index("ix_tasks_due", table_name="tasks")
    op.drop_index("ix_tasks_related", table_name="tasks")
    op.drop_index("ix_tasks_account", table_name="tasks")
    op.drop_table("tasks")
