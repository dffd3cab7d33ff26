"""``verdigris leads export`` against a real verdigris server, and its round trip through
``leads import``."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import lead_count
from tests.helpers import add_definition, email
from tests.live import Live
from verdigris.cli import build_parser, main
from verdigris.cli.exporter import search_filters, unix_time
from verdigris.client import LeadOut


def cli(live: Live, *args: str) -> list[str]:
    return [*args, "--url", live.base_url, "--token", live.token, "--email", live.email, "--quiet"]


def seed(live: Live) -> list[LeadOut]:
    field = add_definition(live.store, live.principal.account_id, "Ref")
    leads: list[dict[str, Any]] = [
        {
            "name": f"Lead {i}",
            "email": email(f"l{i}@x.io"),
            "phone_numbers": [{"number": f"555-{i}", "category": "mobile"}],
            "websites": [{"url": f"https://l{i}.example", "category": "personal"}],
            "address": {"city": "Savannah", "state": "GA"},
            "tags": ["vip", "b"] if i % 2 else ["b"],
            "custom_fields": [{"custom_field_definition_id": field, "value": f"R{i}"}],
            "monetary_value": 100 * i,
            "title": "Buyer",
        }
        for i in range(25)
    ]
    with live.client(bulk_per_second=None) as client:
        made = client.bulk_create_leads(leads)
    assert all(isinstance(lead, LeadOut) for lead in made)
    return [lead for lead in made if isinstance(lead, LeadOut)]


def test_csv_export_imports_back_unchanged(
    live: Live, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = seed(live)
    out = tmp_path / "all.csv"
    assert main(cli(live, "leads", "export", "--output", str(out), "--page-size", "10")) == 0
    assert "exported 25 leads" in capsys.readouterr().err
    rows = list(csv.DictReader(out.open(newline="")))
    assert [int(r["id"]) for r in rows] == [lead.id for lead in made]  # date_created, then id
    assert rows[1]["phone_numbers"] == "mobile:555-1" and rows[1]["tags"] == "vip;b"
    assert main(cli(live, "leads", "import", str(out))) == 0
    summary = capsys.readouterr().out
    assert "created: 0" in summary and "updated: 25" in summary
    assert lead_count(live.store) == 25
    with live.client() as client:
        for before in made:
            after = client.get_lead(before.id)
            assert (after.email, after.phone_numbers, after.websites, after.address) == (
                before.email, before.phone_numbers, before.websites, before.address,
            )  # fmt: skip
            assert (after.tags, after.custom_fields, after.monetary_value, after.name) == (
                before.tags, before.custom_fields, before.monetary_value, before.name,
            )  # fmt: skip


def test_jsonl_export_with_filters_to_stdout(
    live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(live)
    assert main(cli(live, "leads", "export", "--format", "jsonl", "--tag", "vip")) == 0
    lines = capsys.readouterr().out.splitlines()
    leads = [json.loads(line) for line in lines]
    assert len(leads) == 12 and all("vip" in lead["tags"] for lead in leads)
    unconverted = [f for f in LeadOut.__struct_fields__ if not f.startswith("converted_")]
    assert list(leads[0]) == unconverted
    args = cli(live, "leads", "export", "--format", "jsonl", "--limit", "3", "--sort-by", "name",
               "--sort-direction", "desc")  # fmt: skip
    assert main(args) == 0
    names = [json.loads(line)["name"] for line in capsys.readouterr().out.splitlines()]
    assert names == ["Lead 9", "Lead 8", "Lead 7"]


def test_an_empty_export_is_a_header(
    live: Live, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "none.csv"
    assert main(cli(live, "leads", "export", "-o", str(out), "--name", "Nobody")) == 0
    assert out.read_text().startswith("id,name,prefix,")
    assert re.search(r"exported 0 leads", capsys.readouterr().err)


def test_export_flags_become_copper_search_parameters() -> None:
    args = build_parser().parse_args(
        ["leads", "export", "--name", "Ada", "--emails", "a@x.io", "--city", "Paris",
         "--postal-code", "75001", "--tag", "a", "--tag", "b", "--status-id", "3",
         "--assignee-id", "-2", "--source-id", "4", "--created-after", "2024-01-01",
         "--created-before", "2024-02-01", "--include-converted",
         "--filter", "minimum_monetary_value=100", "--filter", "country=FR"]
    )  # fmt: skip
    assert search_filters(args) == {
        "name": "Ada",
        "emails": "a@x.io",
        "city": "Paris",
        "postal_code": "75001",
        "country": "FR",
        "tags": ["a", "b"],
        "status_ids": [3],
        "assignee_ids": [-2],
        "customer_source_ids": [4],
        "minimum_created_date": 1704067200,
        "maximum_created_date": 1706745599,
        "include_converted_leads": True,
        "minimum_monetary_value": 100,
        "sort_by": "date_created",
        "sort_direction": "asc",
    }
    assert unix_time("1700000000") == 1700000000
    with pytest.raises(ValueError, match="not a date"):
        unix_time("yesterday")
