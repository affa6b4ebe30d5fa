"""The README stays true: every CLI command and every setting is documented."""

import re
from pathlib import Path

from geo.settings import Settings
from gridgov.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(parser, prefix=()):
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for name, sub in action.choices.items():
                yield from (
                    _commands(sub, (*prefix, name))
                    if any(a.__class__.__name__ == "_SubParsersAction" for a in sub._actions)
                    else [(*prefix, name)]
                )


def test_every_cli_command_is_in_the_readme():
    commands = list(_commands(build_parser()))
    assert len(commands) >= 7
    for command in commands:
        assert f"`gridgov {' '.join(command)}" in README, command


def test_every_setting_is_in_the_readme_and_the_settings_docstring():
    import geo.settings as module

    names = set(re.findall(r"\b(DATABASE_URL|GRIDGOV_[A-Z_]+)\b", Path(module.__file__).read_text()))
    assert len(names) == len(Settings.__dataclass_fields__)
    for name in names:
        assert f"`{name}`" in README, name


def test_quick_start_commands_exist_and_ci_runs_the_test_command():
    assert "./serve.sh" in README and "./test.sh" in README
    assert (ROOT / "serve.sh").stat().st_mode & 0o111 and (ROOT / "test.sh").stat().st_mode & 0o111
    ci = (ROOT / ".ci" / "run").read_text()
    assert "./test.sh" in ci
