"""``verdigris leads revert RUN_ID`` (issue 19): an import run undone from the lead history,
leads changed since left alone and listed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import lead_count
from tests.helpers import email
from tests.live import Live
from verdigris.cli import main


def _cli(live: Live, *args: str) -> int:
    auth = ["--url", live.base_url, "--token", live.token, "--email", live.email, "--quiet"]
    return main(["leads", *args, *auth])


@pytest.mark.slow
def test_import_1000_rows_change_10_revert_the_run(
    live: Live, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with live.client() as client:
        # 100 leads before the import, which it updates; it creates the other 900
        for i in range(100):
            client.create_lead(
                {"name": f"Before {i}", "email": email(f"l{i}@x.io"), "title": "old"}
            )
    rows = [f"Lead {i},l{i}@x.io,new" for i in range(1000)]
    source = tmp_path / "leads.csv"
    source.write_text("\n".join(["name,email,title", *rows]) + "\n")
    assert _cli(live, "import", str(source), "--run-id", "run-1") == 0
    out = capsys.readouterr().out
    assert "run id: run-1 (undo: verdigris leads revert run-1)" in out
    assert lead_count(live.store) == 1000
    with live.client() as client:
        ids = {lead.email.email: lead.id for lead in client.search_leads() if lead.email}
        touched = [ids[f"l{i}@x.io"] for i in (0, 1, 2, 3, 4, 500, 501, 502, 503, 504)]
        for lead_id in touched:
            client.update_lead(lead_id, {"details": "changed by hand"})
    assert _cli(live, "revert", "run-1") == 2  # some leads were left alone
    out = capsys.readouterr().out
    assert "run run-1: reverted 990 lead(s), left 10 alone" in out
    assert sorted(int(i) for i in re.findall(r"lead (\d+): changed since", out)) == sorted(touched)
    # the 895 created and untouched are gone, the 95 updated are as before the run
    assert lead_count(live.store) == 100 + 5
    with live.client() as client:
        kept = {lead.email.email: lead for lead in client.search_leads() if lead.email}
    assert kept["l10@x.io"].name == "Before 10" and kept["l10@x.io"].title == "old"
    assert kept["l0@x.io"].title == "new" and kept["l0@x.io"].details == "changed by hand"
    assert kept["l500@x.io"].name == "Lead 500"
    # running it again reverts nothing more
    assert _cli(live, "revert", "run-1") == 2
    out = capsys.readouterr().out
    assert "reverted 0 lead(s), left 1000 alone" in out
    assert out.count("already reverted") == 990


def test_revert_of_a_small_run(
    live: Live, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with live.client() as client:
        old = client.create_lead({"name": "Old", "email": email("old@x.io"), "title": "Keep"})
    source = tmp_path / "leads.csv"
    source.write_text("name,email,title\nNew,new@x.io,T\nOld Renamed,old@x.io,Changed\n")
    assert _cli(live, "import", str(source)) == 0
    run = re.search(r"run id: (\S+)", capsys.readouterr().out)
    assert run is not None
    assert _cli(live, "revert", run.group(1)) == 0
    assert "reverted 2 lead(s), left 0 alone" in capsys.readouterr().out
    assert lead_count(live.store) == 1
    with live.client() as client:
        back = client.get_lead(old.id)
    assert (back.name, back.title) == ("Old", "Keep")
    assert _cli(live, "revert", "no-such-run") == 0
