"""The sample project's tests: only the `copper` fixture, no conftest."""

from crm_sync import CopperSync


def sync_for(copper):
    return CopperSync(copper.base_url, copper.token, copper.email)


def test_a_signup_becomes_a_lead(copper):
    sync = sync_for(copper)
    lead = sync.signup("Ada Lovelace", "ada@example.com")
    assert lead["name"] == "Ada Lovelace"
    assert sync.count() == 2  # the seeded lead and Ada


def test_the_lead_of_the_last_test_is_gone(copper):
    # runs after the test above: the emulator was reset to tests/seed.json
    assert sync_for(copper).count() == 1
    assert [lead.name for lead in copper.client.search_leads()] == ["Seeded Lead"]


def test_signing_up_twice_updates_one_lead(copper):
    sync = sync_for(copper)
    first = sync.signup("Ada", "ada@example.com")
    second = sync.signup("Ada Lovelace", "ada@example.com")
    assert first["id"] == second["id"]


def test_a_rate_limit_is_waited_out(copper):
    copper.fault("rate_limit", path="/developer_api/v1/leads/upsert", times=1, retry_after=1)
    lead = sync_for(copper).signup("Grace", "grace@example.com")
    assert lead["name"] == "Grace"
    statuses = [e["status"] for e in copper.journal(path="/developer_api/v1/leads/upsert")]
    assert statuses == [429, 200]
