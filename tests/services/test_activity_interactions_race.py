"""Calls logged at once on one lead are all counted (issue 16): each activity write
recounts the lead's interactions under its row lock. Both engines."""

from __future__ import annotations

import threading

from verdigris.services import Principal, Services


def test_concurrent_calls_are_all_counted(services: Services) -> None:
    user, _ = services.add_user("race-act@example.com")
    who = Principal(user.id, user.account_id, user.email)
    lead_id = services.create_lead(who, {"name": "Busy line"}).lead.id
    call = services.activity_types(who).user[1].id
    errors: list[BaseException] = []

    def caller(n: int) -> None:
        try:
            for i in range(5):
                services.create_activity(
                    who,
                    {
                        "parent": {"type": "lead", "id": lead_id},
                        "type": {"category": "user", "id": call},
                        "details": f"call {n}.{i}",
                        "activity_date": 1_000 * n + i,
                    },
                )
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    lead = services.get_lead(who, lead_id).lead
    assert (lead.interaction_count, lead.date_last_contacted) == (20, 4_004)
