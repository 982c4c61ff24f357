"""First run: is there a Claude config yet, and does Claude Desktop look installed?

Claude Desktop creates its data folder the first time it starts, and its config file only when the user opens
Settings › Developer › Edit Config (FACTS.md A). So three states, each with a sentence for people:

- the file exists: nothing to say;
- the folder exists but the file does not: Claude is installed, no connector was ever added. The config engine
  creates the file (mode 0600) on the first write; `created_note` says so afterwards;
- the folder does not exist: Claude Desktop looks not installed (or never opened). Plugboard does not invent the
  folder — a wrong guess (another install kind, the Microsoft Store build) would write a file Claude never reads —
  and says what to do instead: install Claude Desktop, open it once, or name the file with `--config`.

Plain functions over a `Discovery`, so the CLI and the GUI show the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from plugboard.core.claude.discovery import Discovery
from plugboard.core.errors import PlugboardError

CLAUDE_DOWNLOAD_URL = "https://claude.ai/download"


@dataclass(frozen=True)
class ClaudeSetup:
    config: Path
    config_exists: bool
    folder_exists: bool
    explicit: bool
    """The path came from --config or PLUGBOARD_CLAUDE_CONFIG, not from looking where Claude keeps it."""

    @property
    def message(self) -> str | None:
        """What to tell the user before writing (the CLI's words), or None when all is in place."""
        return self.advice("with --config PATH")

    def advice(self, choose_file: str) -> str | None:
        """The same sentence with `choose_file` saying how to name another file ("with --config PATH" for the CLI,
        "in Settings" for the app), or None when all is in place."""
        if self.config_exists:
            return None
        if self.folder_exists:
            return (
                f"Claude Desktop has no config file yet ({self.config}); Plugboard will create it "
                "when it adds the first connector."
            )
        if self.explicit:
            return f"The folder {self.config.parent} does not exist; create it or choose another file {choose_file}."
        return (
            f"Claude Desktop does not look installed: its folder {self.config.parent} does not exist. "
            f"Install Claude Desktop from {CLAUDE_DOWNLOAD_URL} and open it once, then try again "
            f"(or choose the config file {choose_file})."
        )


def claude_setup(discovery: Discovery) -> ClaudeSetup:
    return ClaudeSetup(
        config=discovery.path,
        config_exists=discovery.path.is_file(),
        folder_exists=discovery.path.parent.is_dir(),
        explicit=discovery.source in ("--config", "PLUGBOARD_CLAUDE_CONFIG"),
    )


def require_config_folder(discovery: Discovery) -> ClaudeSetup:
    """The setup, or a `PlugboardError` saying what to do when there is no folder to write the config in."""
    setup = claude_setup(discovery)
    if not setup.folder_exists:
        raise PlugboardError(setup.message or f"the folder {setup.config.parent} does not exist")
    return setup


def created_note(before: ClaudeSetup) -> str | None:
    """After a write: the sentence saying the config file was created, if it did not exist before."""
    if before.config_exists or not before.config.is_file():
        return None
    return f"Created Claude Desktop's config file {before.config} (it did not exist yet)."
