"""`plugboard run`'s words after NAME: our `--secret` options up to `--`, the server's argv after it, untouched."""

from __future__ import annotations

import pytest

from plugboard.cli import build_parser
from plugboard.core.launcher import split_server_words


def test_secrets_before_the_separator_are_ours_and_everything_after_belongs_to_the_server() -> None:
    words = ["--secret", "A", "--secret=B", "--", "npx", "-y", "pkg", "--secret", "C", "--", "-h"]

    assert split_server_words(words) == (["A", "B"], ["npx", "-y", "pkg", "--secret", "C", "--", "-h"])


def test_without_a_separator_the_first_other_word_starts_the_command() -> None:
    assert split_server_words(["--secret", "A", "uvx", "mcp-server-git"]) == (["A"], ["uvx", "mcp-server-git"])


def test_a_secret_flag_without_its_key_is_a_usage_error() -> None:
    with pytest.raises(ValueError, match="needs a KEY"):
        split_server_words(["--secret"])


def test_the_entry_shape_claude_runs_parses_back_to_name_secrets_and_command() -> None:
    args = build_parser().parse_args(["run", "github", "--secret", "TOKEN", "--", "npx", "-y", "server", "--help"])

    assert args.name == "github"
    assert split_server_words(args.server) == (["TOKEN"], ["npx", "-y", "server", "--help"])
