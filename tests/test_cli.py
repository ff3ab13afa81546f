"""The command line is the engine's public face: every command is listed and has its own help."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request

from mapping.cli import build_parser, main

EXPECTED = {"boundaries", "match", "template", "validate", "setup", "demo", "orgs", "users", "rounds", "submit",
            "history", "rollback", "matrix", "gaps", "overlaps", "summary", "report", "export"}


def _commands() -> dict:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices


def test_every_expected_command_is_registered():
    missing = EXPECTED - set(_commands())
    assert not missing, f"commands missing from python -m mapping: {sorted(missing)}"


def test_each_command_has_its_own_help(capsys):
    for name in sorted(_commands()):
        try:
            main([name, "--help"])
        except SystemExit as exc:
            assert exc.code == 0, name
        out = capsys.readouterr().out
        assert out.startswith("usage: python -m mapping " + name), out[:80]


def test_module_entry_point_lists_commands():
    proc = subprocess.run([sys.executable, "-m", "mapping", "--help"], capture_output=True, text=True, check=True)
    for name in ("validate", "boundaries", "report", "matrix"):
        assert name in proc.stdout


def test_a_refusal_ends_with_the_command_that_fixes_it(capsys):
    """The guard prints the message, the hint a page would show too, then the command (cli_hint)."""
    assert main(["history", "--org", "Nobody Aid"]) == 2
    err = capsys.readouterr().err
    assert err == ("No organisation called 'Nobody Aid'. An admin can add it (Admin page, Organisations). "
                   "Add it: python -m mapping orgs add \"Nobody Aid\" --acronym ABC --type \"National NGO\".\n")


def test_a_failed_download_names_the_import_command(capsys, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network in the test")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    assert main(["boundaries", "fetch", "--country", "PAK"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Download failed: Could not reach https://")
    assert err.endswith("(no network in the test). Check the network connection. Or download the files by hand and "
                        "upload them on the Admin page (Boundaries tab). Files downloaded by hand: python -m mapping "
                        "boundaries import --from PATH.\n")
