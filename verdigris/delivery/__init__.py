"""The webhook sender: reads the outbox, posts notifications, records every attempt.

sender   one POST, its target's addresses checked at send time, timed out, never raising
worker   the loop: claim events (SKIP LOCKED on PostgreSQL, one lease holder on
         SQLite), batch them into Copper's notifications, send, record, retry or drop
"""

from __future__ import annotations

from verdigris.delivery.sender import Sender, Sent
from verdigris.delivery.worker import DeliveryConfig, DeliveryWorker

__all__ = ["DeliveryConfig", "DeliveryWorker", "Sender", "Sent"]
