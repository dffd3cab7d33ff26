"""Moving from another CRM: the sample exports of tests/data/ (Copper, HubSpot, Salesforce,
Pipedrive; their headers and value conventions) import with no ``--map`` flag, each on both
engines; ``--dry-run`` writes nothing and predicts the real run's counts."""

from __future__ import annotations

import calendar
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.cli.test_import import run_import, write_csv
from tests.helpers import email, existing_leads, reject_reasons, write_leads_csv
from tests.live import Live
from verdigris.client import Client, LeadOut
from verdigris.services import Services
from verdigris.store import schema
from verdigris.store.sql import SqlStore

pytestmark = pytest.mark.slow  # a live server and several imports per test

DATA = Path(__file__).parent.parent / "data"
OWNERS = {
    "Maya Patel": "maya.patel@verdigris.example",
    "Sam Okafor": "sam.okafor@verdigris.example",
}


@dataclass(frozen=True)
class Sample:
    crm: str
    file: str
    #: emails of leads that exist before the import (twice: two leads)
    existing: tuple[str, ...]
    counts: dict[str, int]
    #: row number -> a part of its reject reason
    rejects: dict[int, str]
    definitions: tuple[dict[str, Any], ...] = field(default=())


SAMPLES = [
    Sample(
        "copper",
        "copper_leads.csv",
        ("katherine@langley.example",),
        {"created": 4, "updated": 2, "ambiguous": 0, "invalid": 4, "failed": 0},
        {
            4: "lead status 'Junk' is not in this account",
            5: "Name: can't be blank",
            6: "Email: is invalid",
            9: "customer source 'Trade Show' is not in this account",
        },
        ({"name": "Follow-up Date", "data_type": "Date", "available_on": ["lead"]},),
    ),
    Sample(
        "hubspot",
        "hubspot_contacts.csv",
        ("annie@lewis.example", "frances@watson.example", "frances@watson.example"),
        {"created": 5, "updated": 1, "ambiguous": 1, "invalid": 3, "failed": 0},
        {
            4: "2 leads match the given criteria",
            5: "no email to match on",
            6: "owner 'Chris Lee' is not a user of this account",
            9: "Email: is invalid",
        },
    ),
    Sample(
        "salesforce",
        "salesforce_leads.csv",
        ("vint@google.example",),
        {"created": 4, "updated": 1, "ambiguous": 0, "invalid": 4, "failed": 0},
        {
            4: "customer source 'Partner Referral' is not in this account",
            5: "no email to match on",
            6: "Email: is invalid",
            9: "Rating has no option 'Lukewarm'",
        },
        (
            {
                "name": "Rating",
                "data_type": "Dropdown",
                "available_on": ["lead"],
                "options": [{"name": "Hot"}, {"name": "Warm"}, {"name": "Cold"}],
            },
        ),
    ),
    Sample(
        "pipedrive",
        "pipedrive_leads.csv",
        ("bob@3com.example",),
        {"created": 3, "updated": 2, "ambiguous": 0, "invalid": 3, "failed": 0},
        {
            4: "no email to match on",
            5: "owner 'Olivia Brandt' is not a user of this account",
            6: "Email: is invalid",
        },
    ),
]


def snapshot(live: Live) -> dict[str, list[Any]]:
    """Every row of every table but the API keys (their last use may be stamped)."""
    store = live.store
    assert isinstance(store, SqlStore)
    out = {}
    with store.engine.connect() as conn:
        for table in schema.metadata.sorted_tables:
            if table.name != "api_keys":
                rows = conn.execute(sa.select(table)).all()
                out[table.name] = sorted(map(tuple, rows), key=repr)
    return out


def prepare(live: Live, services: Services, sample: Sample, tmp_path: Path) -> Path:
    for name, address in OWNERS.items():
        services.add_user(address, account="Acme", name=name)
    with live.client(bulk_per_second=None) as client:
        for definition in sample.definitions:
            client.create_custom_field_definition(definition)
        client.bulk_create_leads(
            [{"name": f"Existing {i}", "email": email(a)} for i, a in enumerate(sample.existing)]
        )
    path = tmp_path / sample.file
    shutil.copy(DATA / sample.file, path)
    return path


def lead_by_email(client: Client, address: str) -> LeadOut:
    (lead,) = client.search_leads({"emails": address})
    return lead


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.crm for s in SAMPLES])
def test_a_crm_export_imports_with_no_map_flag_and_the_dry_run_predicts_it(
    live: Live,
    services: Services,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sample: Sample,
) -> None:
    path = prepare(live, services, sample, tmp_path)
    before = snapshot(live)

    code, predicted = run_import(live, capsys, path, "--from", sample.crm, "--dry-run")
    assert code == 2
    assert snapshot(live) == before  # nothing written
    assert not (tmp_path / path.name.replace(".csv", ".rejects.csv")).exists()
    assert predicted == sample.counts

    code, counts = run_import(live, capsys, path, "--from", sample.crm)
    assert code == 2
    assert counts == predicted
    reasons = reject_reasons(tmp_path / path.name.replace(".csv", ".rejects.csv"))
    assert sorted(reasons) == sorted(sample.rejects)
    for row, part in sample.rejects.items():
        assert part in reasons[row], (row, reasons[row])

    # the same file again: nothing new
    code, again = run_import(live, capsys, path, "--from", sample.crm)
    assert again["created"] == 0
    assert again["updated"] == counts["created"] + counts["updated"]


def test_the_dry_run_prints_the_mapping_with_samples_and_the_first_reasons(
    live: Live, services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = SAMPLES[1]
    path = prepare(live, services, sample, tmp_path)
    from verdigris.cli import main

    main(["leads", "import", str(path), "--url", live.base_url, "--token", live.token,
          "--email", live.email, "--quiet", "--from", "hubspot", "--dry-run"])  # fmt: skip
    out = capsys.readouterr().out
    assert out.startswith("mapping (hubspot export):\n")
    assert re.search(r"  Mobile Phone Number\s+-> phone_numbers:mobile .*e\.g\. \+1 503", out)
    assert re.search(r"  Contact owner\s+-> owner .*e\.g\. Maya Patel, Sam Okafor", out)
    assert re.search(r"  Lead Status\s+-> status ", out)
    assert re.search(r"  Record ID\s+-> -  \(computed by the other CRM: ignored\)", out)
    assert "dry run (nothing written): checked 10 rows" in out
    assert "  row 6: owner 'Chris Lee' is not a user of this account" in out


def test_values_follow_each_crms_conventions(
    live: Live, services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with live.client() as client:
        statuses = {s.name: s.id for s in client.lead_statuses()}
        sources = {s.name: s.id for s in client.customer_sources()}
    for sample in SAMPLES:
        path = prepare(live, services, sample, tmp_path)
        run_import(live, capsys, path, "--from", sample.crm)
    with live.client() as client:
        users = {u.name: u.id for u in client.users()}
        defs = {d.name: d for d in client.custom_field_definitions()}
        ada = lead_by_email(client, "ada@analytical.example")  # Copper
        linus = lead_by_email(client, "linus@kernel.example")  # HubSpot
        mary = lead_by_email(client, "mary.jackson@langley.example")
        tim = lead_by_email(client, "tim.bl@w3c.example")  # Salesforce
        lynn = lead_by_email(client, "lynn.conway@umich.example")
        anita = lead_by_email(client, "anita@systers.example")  # Pipedrive
        john = lead_by_email(client, "backus@fortran.example")

    # Copper: tags split on commas, "25,000", a date custom field as M/D/YYYY, owner by name
    assert ada.tags == ["vip", "conference"] and ada.monetary_value == 25000
    assert ada.title == "Chief Technology Officer" and ada.status_id == statuses["Contacted"]
    assert ada.assignee_id == users["Maya Patel"]
    assert ada.customer_source_id == sources["Email"]
    assert [(p.category, p.number) for p in ada.phone_numbers] == [
        ("work", "+44 20 7946 0001"),
        ("mobile", "+44 7700 900001"),
    ]
    assert [(s.category, s.url) for s in ada.socials] == [
        ("linkedin", "https://www.linkedin.com/in/ada-example")
    ]
    follow_up = {c.custom_field_definition_id: c.value for c in ada.custom_fields}
    assert follow_up[defs["Follow-up Date"].id] == calendar.timegm((2025, 3, 15, 0, 0, 0))
    # HubSpot: statuses mapped to the account's, owner by name, the analytics ignored
    assert linus.status_id == statuses["New"] and mary.status_id == statuses["Contacted"]
    assert mary.assignee_id == users["Sam Okafor"] and mary.monetary_value == 1500000
    assert linus.address is not None and linus.address.state == "Oregon"
    # Salesforce: "$1,200,000.00", Web -> Web Form, Phone Inquiry -> Cold Call, Rating
    assert tim.monetary_value == 1200000 and tim.prefix == "Mr."
    assert tim.customer_source_id == sources["Web Form"]
    assert lynn.customer_source_id == sources["Cold Call"]
    assert tim.company_name == "W3 Consortium" and tim.status_id == statuses["New"]
    rating = defs["Rating"]
    hot = next(o.id for o in rating.options if o.name == "Hot")
    assert {c.custom_field_definition_id: c.value for c in tim.custom_fields}[rating.id] == hot
    # Pipedrive: prefixed headers, labels split on commas, a later lead of the same person
    assert john.tags == ["Warm", "Q3 webinar"] and john.monetary_unit == "USD"
    assert anita.details == "Systers renewal lead" and anita.title == "Founder & Chair"
    assert anita.company_name == "Systers" and anita.monetary_value == 18000
    assert anita.address is not None and anita.address.city == "Palo Alto"


def _by_email(live: Live, tmp_path: Path) -> tuple[Path, list[str]]:
    with live.client(bulk_per_second=None) as client:
        client.bulk_create_leads(existing_leads(20))
        client.bulk_create_leads([{"name": f"T{i}", "email": email("twin@x.io")} for i in (1, 2)])
    path = tmp_path / "mixed.csv"
    write_leads_csv(path, 200)  # invalid rows, rows of existing leads, new leads
    with path.open("a") as f:
        f.write("Twin,twin@x.io,,,,,\nNew 1,new1@example.com,,,,,\n")  # ambiguous; again
    return path, []


def _by_name(live: Live, tmp_path: Path) -> tuple[Path, list[str]]:
    with live.client(bulk_per_second=None) as client:
        client.bulk_create_leads([{"name": n} for n in ("A Two", "Twin", "Twin", "a two x")])
    path = write_csv(
        tmp_path / "names.csv",
        "Full Name,E-mail,Lead Status",
        "A Two,a2@x.io,Contacted",  # updates the one "A Two" (not "a two x")
        "Twin,t@x.io,",  # ambiguous
        "New One,n1@x.io,",
        "New One,n1b@x.io,New",  # the lead the row above creates
        ",nobody@x.io,",  # no name to match on
        "Bad Mail,not-an-email,",
        "Odd Status,odd@x.io,Sleeping",
    )
    return path, ["--match", "name"]


def _by_custom_field(live: Live, tmp_path: Path) -> tuple[Path, list[str]]:
    with live.client(bulk_per_second=None) as client:
        ref = client.create_custom_field_definition(
            {"name": "Ref", "data_type": "String", "available_on": ["lead"], "is_filterable": True}
        )
        client.bulk_create_leads(
            [
                {
                    "name": "R1",
                    "custom_fields": [{"custom_field_definition_id": ref.id, "value": v}],
                }
                for v in ("R1", "R9", "R9")
            ]
        )
    path = write_csv(
        tmp_path / "refs.csv",
        "Name,Ref,Email",
        "One,R1,one@x.io",  # update
        "Two,R2,two@x.io",  # create
        "Two again,R2,",  # update the lead created above
        "Nine,R9,",  # ambiguous
        "None,,none@x.io",  # no value to match on
        ",R3,",  # a lead to create needs a name
    )
    return path, ["--match", f"custom:{ref.id}"]


@pytest.mark.parametrize("scenario", [_by_email, _by_name, _by_custom_field])
def test_dry_run_counts_equal_the_real_runs_on_every_match_key(
    live: Live, tmp_path: Path, capsys: pytest.CaptureFixture[str], scenario: Any
) -> None:
    path, flags = scenario(live, tmp_path)
    before = snapshot(live)
    code, predicted = run_import(live, capsys, path, "--dry-run", *flags)
    assert code == 2 and snapshot(live) == before
    code, counts = run_import(live, capsys, path, *flags)
    assert code == 2 and counts == predicted
    assert counts["created"] > 0 and counts["updated"] > 0 and counts["ambiguous"] > 0
    assert counts["invalid"] > 0
