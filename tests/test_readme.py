"""The README's transcript is replayed command by command and every line checked, so that the
README stays true. `…` in an expected line matches any text."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def transcripts() -> list[list[tuple[str, list[str]]]]:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- transcript -->\n```console\n(.*?)```", text, re.S)
    out = []
    for block in blocks:
        steps: list[tuple[str, list[str]]] = []
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line)
        out.append(steps)
    return out


def matches(expected: str, actual: str) -> bool:
    pattern = "^" + ".*".join(re.escape(part) for part in expected.split("…")) + "$"
    return re.match(pattern, actual) is not None


def test_readme_opens_with_the_two_setup_commands():
    text = README.read_text(encoding="utf-8")
    first_block = re.search(r"```\n(.*?)```", text, re.S).group(1).strip().splitlines()
    assert first_block == ["pip install . && jindu demo", "pip install '.[test]' && python -m pytest"]
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert first_block[1] in ci


def test_transcript_replays_exactly(tmp_path):
    env = dict(os.environ, HOME=str(tmp_path), JINDU_TODAY="2026-11-28", JINDU_OPERATOR="李芳",
               COLUMNS="160", PYTHONUNBUFFERED="1", NO_COLOR="1", XDG_DATA_HOME=str(tmp_path / "xdg"))
    env.pop("JINDU_DB", None)
    assert transcripts(), "README has no transcript"
    for steps in transcripts():
        for command, expected in steps:
            words = shlex.split(command)
            if words[0] == "export":
                for assignment in words[1:]:
                    key, _, value = assignment.partition("=")
                    env[key] = os.path.expanduser(value.replace("~", str(tmp_path)))
                continue
            assert words[0] == "jindu", command
            proc = subprocess.run([sys.executable, "-m", "jindu_cli", *words[1:]], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            # (messages written to a pipe carry the time; the transcript shows them as a terminal does)
            shown = re.sub(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", "", proc.stdout, flags=re.M)
            actual = shown.rstrip("\n").splitlines() if shown.strip() else []
            assert len(actual) == len(expected), f"$ {command}\n{proc.stdout}"
            for want, got in zip(expected, actual):
                assert matches(want.rstrip(), got.rstrip()), f"$ {command}\nwant: {want}\n got: {got}"


def guide_commands() -> list[str]:
    """The `jindu …` lines of the README's plain code blocks (the examples a clerk copies), comments
    and the cron lines' environment left out."""
    found, inside = [], None
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            inside = None if inside is not None else line[3:]
            continue
        if inside == "":
            command = re.sub(r"\s{2,}#.*$", "", line).strip()
            command = re.sub(r"^(\S+=\S+\s+)+", "", re.sub(r"^[\d*/,-]+(\s+[\d*/,-]+){4}\s+", "", command))
            if command.startswith("jindu "):
                found.append(command.split(" 2>>")[0].split(" >>")[0])
    return found


def test_every_example_in_the_guide_is_a_command_jindu_takes():
    """Each example's command exists and takes the options written (parsed, not run)."""
    import typer.main

    from jindu_cli.cli import app

    tree = typer.main.get_command(app)
    examples = guide_commands()
    assert len(examples) > 40
    for example in examples:
        words = shlex.split(example)[1:]
        command = tree
        while hasattr(command, "commands") and words and words[0] in command.commands:
            command = command.commands[words.pop(0)]
        assert not hasattr(command, "commands"), example
        command.make_context("jindu", list(words))  # raises on an unknown option or a missing value
