"""``verdigris leads import`` against a real verdigris server: counts, reject files,
re-runs that create nothing new, match keys, JSONL, mapping and fatal errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import lead_count
from tests.helpers import add_definition, email, reject_reasons
from tests.live import Live
from verdigris.cli import main


def run_import(
    live: Live, capsys: pytest.CaptureFixture[str], path: Path, *extra: str
) -> tuple[int, dict[str, int]]:
    """Run the command in-process; returns the exit code and the summary's counts."""
    code = main(
        ["leads", "import", str(path), "--url", live.base_url, "--token", live.token,
         "--email", live.email, "--quiet", *extra]
    )  # fmt: skip
    out = capsys.readouterr().out
    counts = {k: int(v) for k, v in re.findall(r"^(\w+): (\d+)$", out, re.MULTILINE)}
    return code, counts


def write_csv(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_created_updated_and_a_rerun_creates_nothing(
    live: Live, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with live.client() as client:
        old = client.create_lead({"name": "Old", "email": email("old@x.io"), "title": "Keep"})
    source = write_csv(
        tmp_path / "leads.csv",
        "name,email,city,tags",
        "Ann,ann@x.io,Paris,a;b",
        "Old Renamed,OLD@x.io,Rome,",
        "Ann Again,ann@x.io,Oslo,",  # the same email twice in one file: one lead
    )
    code, counts = run_import(live, capsys, source)
    assert code == 0
    assert counts == {"created": 1, "updated": 2, "ambiguous": 0, "invalid": 0, "failed": 0}
    assert lead_count(live.store) == 2
    assert not (tmp_path / "leads.rejects.csv").exists()
    with live.client() as client:
        renamed = client.get_lead(old.id)
    assert (renamed.name, renamed.title) == ("Old Renamed", "Keep")
    assert renamed.address is not None and renamed.address.city == "Rome"
    code, counts = run_import(live, capsys, source)
    assert counts["created"] == 0 and counts["updated"] == 3
    assert lead_count(live.store) == 2


def test_rows_sharing_a_match_key_are_applied_in_file_order(
    live: Live, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 12 keys, 8 versions each, interleaved: with 8 workers, a key's later row must not
    # overtake an earlier one (the last row of each key in the file is what stays)
    rows = [f"Lead {k},KEY{k}@x.io,v{v}" for v in range(8) for k in range(12)]
    source = write_csv(tmp_path / "leads.csv", "name,email,title", *rows)
    code, counts = run_import(live, capsys, source, "--workers", "8")
    assert code == 0
    assert counts["created"] == 12 and counts["updated"] == 84
    with live.client() as client:
        for k in range(12):
            (lead,) = client.search_leads({"emails": [f"key{k}@x.io"]})
            assert lead.title == "v7", f"key{k}: {lead.title}"


def test_ambiguous_and_invalid_rows_go_to_the_reject_file(
    live: Live, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with live.client(bulk_per_second=None) as client:
        twins = client.bulk_create_leads(
            [{"name": f"T{i}", "email": email("twin@x.io")} for i in (1, 2)]
        )
    source = write_csv(
        tmp_path / "in.csv",
        "name,email,customer_source_id",
        "Twin,twin@x.io,",
        ",nameless@x.io,",
        "Bad,bad@x.io,abc",
        "No Email,,",
        "Fine,fine@x.io,",
    )
    rejects = tmp_path / "out" / "rejects.csv"
    rejects.parent.mkdir()
    code, counts = run_import(live, capsys, source, "--rejects", str(rejects))
    assert code == 2
    assert counts == {"created": 1, "updated": 0, "ambiguous": 1, "invalid": 3, "failed": 0}
    reasons = reject_reasons(rejects)
    assert sorted(reasons) == [1, 2, 3, 4]
    ids = sorted(t.id for t in twins if hasattr(t, "date_created") and t.id is not None)
    assert reasons[1].endswith(f"(matching ids: {ids[0]}, {ids[1]})")
    assert "Name: can't be blank" in reasons[2]
    assert "customer_source_id must be a whole number" in reasons[3]
    assert reasons[4] == "no email to match on"
    # the reject file keeps each row as read, and imports again as it is
    assert rejects.read_text().splitlines()[1].endswith("Twin,twin@x.io,")
    code, counts = run_import(live, capsys, rejects, "--rejects", str(tmp_path / "again.csv"))
    assert counts["ambiguous"] == 1 and counts["invalid"] == 3


def test_match_on_name_and_on_a_custom_field(
    live: Live, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    field = add_definition(live.store, live.principal.account_id, "Ref")
    source = write_csv(
        tmp_path / "refs.csv", "name,Reference,title", "A One,R1,x", "A Two,R2,y", "A 1b,R1,z"
    )
    code, counts = run_import(
        live, capsys, source, "--match", f"custom:{field}", "--map", f"Reference=custom:{field}"
    )
    assert (code, counts["created"], counts["updated"]) == (0, 2, 1)
    assert lead_count(live.store) == 2
    by_name = write_csv(tmp_path / "names.csv", "name,title", "A Two,boss", "Zed,new")
    code, counts = run_import(live, capsys, by_name, "--match", "name")
    assert (counts["created"], counts["updated"]) == (1, 1)
    assert lead_count(live.store) == 3


def test_jsonl_rows_and_their_rejects(
    live: Live, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows: list[Any] = [
        {"name": "J1", "email": {"email": "j1@x.io", "category": "personal"}, "tags": ["x"]},
        {"name": "J2", "email": "j2@x.io", "address": {"city": "Lima"}},
        "not an object",
        {"name": "J3", "email": {"email": "j3@x.io", "category": "nope"}},
    ]
    lines = [json.dumps(r) for r in rows]
    lines.insert(2, "{broken")
    source = tmp_path / "leads.jsonl"
    source.write_text("\n".join(lines) + "\n")
    code, counts = run_import(live, capsys, source)
    assert (code, counts["created"], counts["invalid"]) == (2, 2, 3)
    rejects = [json.loads(line) for line in (tmp_path / "leads.rejects.jsonl").open()]
    assert [r["_row"] for r in rejects] == [3, 4, 5]
    assert rejects[0]["_error"].startswith("not JSON") and rejects[0]["_line"] == "{broken"
    assert rejects[2]["name"] == "J3" and "Email" in rejects[2]["_error"]


def test_unmapped_columns_show_the_mapping_and_stop_before_any_write(
    live: Live, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "odd.csv", "Full Name,E-mail,Favourite Colour", "A,a@x.io,green")
    code = main(["leads", "import", str(source), "--url", live.base_url, "--token", live.token,
                 "--email", live.email, "--quiet"])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "unknown column(s): Favourite Colour" in err and "--ignore-unmapped" in err
    assert re.search(r"Full Name\s+-> name .*e\.g\. A", err)
    assert re.search(r"E-mail\s+-> email .*e\.g\. a@x\.io", err)
    assert re.search(r"Favourite Colour\s+-> \?  \(unmapped\)  e\.g\. green", err)
    assert lead_count(live.store) == 0
    code = main(["leads", "import", str(source), "--url", live.base_url, "--token", live.token,
                 "--email", live.email, "--quiet", "--ignore-unmapped"])  # fmt: skip
    assert code == 0
    assert "ignoring unmapped column(s): Favourite Colour" in capsys.readouterr().err
    with live.client() as client:
        (lead,) = client.search_leads({"emails": "a@x.io"})
    assert lead.name == "A"


def test_wrong_credentials_stop_the_import(
    live: Live, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_csv(tmp_path / "a.csv", "name,email", "A,a@x.io")
    monkeypatch.setenv("VERDIGRIS_TOKEN", "wrong")
    monkeypatch.setenv("VERDIGRIS_EMAIL", live.email)
    code = main(["leads", "import", str(source), "--url", live.base_url, "--quiet"])
    assert code == 1
    assert "verdigris: error:" in capsys.readouterr().err
    code = main(["leads", "import", str(source), "--url", live.base_url, "--quiet", "--dry-run"])
    assert code == 1
    assert "verdigris: error:" in capsys.readouterr().err
    assert lead_count(live.store) == 0 and not (tmp_path / "a.rejects.csv").exists()
