"""Chosen API keys must be long enough to resist guessing, outside local emulation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.live import first_account_answer
from verdigris.cli import MIN_TOKEN_LENGTH, main
from verdigris.services import Services
from verdigris.store import open_store


def _users(db: str) -> int:
    with open_store(db) as store:
        store.migrate()
        return Services(store).user_count()


def test_user_add_refuses_a_short_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'short.db'}"
    short = "x" * (MIN_TOKEN_LENGTH - 1)
    assert main(["user", "add", "ci@example.com", "--token", short, "--db", db]) == 1
    err = capsys.readouterr().err
    assert f"--token is {MIN_TOKEN_LENGTH - 1} characters long" in err
    assert f"at least {MIN_TOKEN_LENGTH}" in err and "--allow-short-token" in err
    assert _users(db) == 0  # nothing written

    assert (
        main(["user", "add", "ci@example.com", "--token", "x" * MIN_TOKEN_LENGTH, "--db", db]) == 0
    )
    assert _users(db) == 1


def test_user_add_takes_a_short_token_when_told_to(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'emulation.db'}"
    argv = ["user", "add", "dev@example.com", "--token", "dev-token", "--allow-short-token"]
    assert main([*argv, "--db", db]) == 0
    assert capsys.readouterr().out.strip() == "dev-token"
    with open_store(db) as store:
        assert Services(store).authenticate("dev-token", "dev@example.com").email


def test_serve_refuses_a_short_bootstrap_token_on_a_public_interface(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'public.db'}"
    argv = ["serve", "--db", db, "--host", "0.0.0.0", "--bootstrap-token", "dev-token"]
    assert main(argv) == 1  # refused before anything is opened or bound
    err = capsys.readouterr().err
    assert "--bootstrap-token is 9 characters long" in err and "0.0.0.0" in err
    assert not (tmp_path / "public.db").exists()


def test_the_readmes_first_command_still_works(tmp_path: Path) -> None:
    """``verdigris serve --bootstrap-email dev@example.com --bootstrap-token dev-token``:
    a short key is a local-development bootstrap on the default loopback interface."""
    port = free_port()
    argv = ["serve", "--bootstrap-email", "dev@example.com", "--bootstrap-token", "dev-token"]
    process = subprocess.Popen(
        [sys.executable, "-m", "verdigris", *argv, "--port", str(port)],
        cwd=tmp_path,  # the default database, verdigris.db, lands here
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        r = first_account_answer(process, port, "dev-token", "dev@example.com")
        assert r.status_code == 200
    finally:
        process.terminate()
        process.wait(10)
    assert (tmp_path / "verdigris.db").exists()
