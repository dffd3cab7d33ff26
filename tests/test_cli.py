"""The ``verdigris`` command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.live import first_account_answer
from verdigris import cli
from verdigris.cli import build_parser, main
from verdigris.services import Services
from verdigris.store import open_store


def test_user_add_with_token_prints_it_and_it_authenticates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    key = "ci-key-0123456789"
    assert (
        main(["user", "add", "ci@example.com", "--account", "CI", "--token", key, "--db", db]) == 0
    )
    assert capsys.readouterr().out.strip() == key
    with open_store(db) as store:
        principal = Services(store).authenticate(key, "ci@example.com")
        assert principal.email == "ci@example.com"


def test_user_add_without_token_prints_a_random_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "plain-path.db")  # a plain path is a SQLite file
    assert main(["user", "add", "x@example.com", "--db", db]) == 0
    key = capsys.readouterr().out.strip()
    assert len(key) >= 32
    assert main(["user", "add", "x@example.com", "--db", db]) == 0
    assert capsys.readouterr().out.strip() != key


def test_user_of_another_account_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "two.db")
    assert main(["user", "add", "x@example.com", "--account", "A", "--db", db]) == 0
    assert main(["user", "add", "x@example.com", "--account", "B", "--db", db]) == 1
    assert "another account" in capsys.readouterr().err


def test_db_upgrade(tmp_path: Path) -> None:
    db = str(tmp_path / "up.db")
    assert main(["db", "upgrade", "--db", db]) == 0
    assert (tmp_path / "up.db").exists()


@pytest.mark.parametrize("command", [["serve"], ["db", "upgrade"], ["user", "add", "a@b.example"]])
def test_a_database_that_cannot_be_opened_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    not_a_database = tmp_path / "notes.txt"
    not_a_database.write_text("not SQLite\n" * 100)
    cases = {
        str(tmp_path / "missing-dir" / "x.db"): "unable to open database file",
        str(not_a_database): "file is not a database",
        f"postgresql://nobody@127.0.0.1:{free_port()}/none": "Connection refused",
    }
    for db, reason in cases.items():
        assert main([*command, "--db", db]) == 1
        err = capsys.readouterr().err
        assert err.startswith("verdigris: error: cannot use the database "), err
        assert reason in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1, err
    assert not_a_database.read_text() == "not SQLite\n" * 100  # left as it was


@pytest.mark.parametrize("command", [["serve"], ["db", "upgrade"], ["user", "add", "a@b.example"]])
def test_server_commands_without_the_server_extra_say_what_to_install(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    # as if `pip install verdigris` (the SDK alone): a server module is not installed
    monkeypatch.setattr(cli, "SERVER_MODULES", (*cli.SERVER_MODULES, "no_such_module_here"))
    db = tmp_path / "x.db"
    assert main([*command, "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"verdigris: error: 'verdigris {command[0]}' needs the server extra (missing: "
        "no_such_module_here); install it with: pip install 'verdigris[server]'\n"
    )
    assert not db.exists()


def test_a_missing_database_driver_names_its_extra(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_driver(args: object) -> int:
        raise ModuleNotFoundError("No module named 'psycopg'", name="psycopg")

    monkeypatch.setattr(cli, "_db_upgrade", no_driver)
    assert main(["db", "upgrade", "--db", "postgresql://nobody@127.0.0.1/none"]) == 1
    assert capsys.readouterr().err == (
        "verdigris: error: psycopg is not installed; "
        "install it with: pip install 'verdigris[postgres]'\n"
    )


@pytest.mark.slow
def test_help_explains_every_command() -> None:
    text = build_parser().format_help()
    for command in ("serve", "user", "db"):
        assert command in text
    serve = subprocess.run(
        [sys.executable, "-m", "verdigris", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for flag in ("--db", "--host", "--port", "--workers", "--no-rate-limits", "--redis-url"):
        assert flag in serve


@pytest.mark.slow
def test_first_start_creates_a_user_and_prints_its_key(tmp_path: Path) -> None:
    db = tmp_path / "first.db"
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "verdigris", "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(2)]
    finally:
        process.terminate()
        process.wait(10)
    assert "admin@verdigris.local" in lines[0]
    key = lines[1].rsplit(" ", 1)[-1].strip()
    with open_store(str(db)) as store:
        assert Services(store).authenticate(key, "admin@verdigris.local").user_id > 0


def test_docs_cover_every_command_and_flag() -> None:
    doc = (Path(__file__).parent.parent / "docs" / "cli.md").read_text()
    parser = build_parser()
    for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        for name, sub in action.choices.items():  # type: ignore[union-attr]
            assert f"verdigris {name}" in doc, name
            for option in sub._actions:
                for flag in option.option_strings:
                    if flag.startswith("--") and flag != "--help":
                        assert flag in doc, (name, flag)


def test_logged_database_urls_hide_the_password() -> None:
    from verdigris.store import display_url

    shown = display_url("postgres://verdigris:s3cret@db.internal:5432/leads")
    assert "s3cret" not in shown
    assert shown.startswith("postgresql+psycopg://verdigris:***@db.internal:5432/leads")
    assert display_url("plain.db").startswith("sqlite:///")
    with pytest.raises(ValueError, match="unsupported") as refused:
        open_store("mysql://verdigris:s3cret@db.internal/leads")
    assert "s3cret" not in str(refused.value)


@pytest.mark.slow
def test_serve_in_memory_uses_the_seeded_store_and_refuses_several_workers() -> None:

    port = free_port()
    serve = ["serve", "--db", "sqlite://", "--port", str(port), "--bootstrap-token", "mem-key"]
    process = subprocess.Popen(
        [sys.executable, "-m", "verdigris", *serve],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        r = first_account_answer(process, port, "mem-key", "admin@verdigris.local")
        assert r.status_code == 200  # the printed key works: one store, not two
    finally:
        process.terminate()
        process.wait(10)
    refused = subprocess.run(
        [sys.executable, "-m", "verdigris", "serve", "--db", "sqlite://", "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert refused.returncode == 1
    assert "in-memory database lives in one process" in refused.stderr
