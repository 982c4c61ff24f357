"""The bundled catalog of MCP servers, and turning one catalog item plus a filled form into a connector.

The catalog is data (`resources/catalog.json`, read with `importlib.resources`), so adding a server needs no code.
Each item has an id, a name, one sentence saying what it does, the runtime it needs (`node` / `uv` / `docker`, or
`plugboard` for items that run Plugboard's own bridge), a command with an args template, a docs link, search
keywords, and its inputs as a form schema: `{id, type, label, placeholder, required, env?, help?}` with type one of

- `text`: a plain value; `url`: an http(s) address; `folder`: an existing folder (a folder picker in the GUI);
  `file`: a file path whose folder exists (the file itself may be created by the server);
- `secret`: a value that goes to the OS keyring only.

An item that takes a secret may name a `check`: `{"tool": NAME, "arguments": {...}}`, one harmless, read-only tool
call that only succeeds with valid credentials (GitHub's `get_me`, a one-result search). Listing tools proves
nothing about a key (a search server with a fake key still offers its tools); Test runs this call too
(`probe.doctor.CheckCall`) and says "the token was refused" when the service refuses it.

An input fills either the environment variable named by `env`, or the args template where `{id}` appears. An
args element may be a list (a *group*, e.g. `["--ssh", "{profile}"]`) that is dropped when an optional input it
names is left empty. `{name}` in args is the connector's name. A secret's keyring KEY is its id; a secret never
reaches args as a value: in a `plugboard` item's args (`--bearer-secret {API_TOKEN}`) `{API_TOKEN}` stands for
the KEY, which the bridge looks up in the keyring, and in other items secrets must fill `env`.

Every catalog connector starts through the launcher (`plugboard run NAME [--secret K]... -- COMMAND ...`), even
without secrets: the launcher finds `npx`/`uvx`/`docker` where a GUI app's bare PATH would not (FACTS.md A,
"Why local servers fail" 1), which is the most common reason a first connector fails.

Validation (`validate_catalog`) is the same code the schema test runs on the bundled file, so a broken catalog
fails the tests, not a user. Nothing here prints or prompts: the CLI and the GUI collect values and show results.

The optional refresh from the official MCP Registry is not built: it needs the network, which the machine this
was written on does not have. The bundled copy is the offline default.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from plugboard.core.config.connectors import Connector
from plugboard.core.errors import NotFoundError, PlugboardError
from plugboard.core.secrets.keyring import KEY_PATTERN

CATALOG_RESOURCE = "catalog.json"
INPUT_TYPES = ("text", "url", "folder", "file", "secret")
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
INPUT_ID_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
NAME_PLACEHOLDER = "name"


@dataclass(frozen=True)
class Runtime:
    """What a runtime is called for people, the program that proves it is installed, and where to get it."""

    id: str
    label: str
    program: str | None
    install_url: str | None


RUNTIMES: dict[str, Runtime] = {
    "node": Runtime("node", "Node.js", "npx", "https://nodejs.org/en/download"),
    "uv": Runtime("uv", "uv", "uvx", "https://docs.astral.sh/uv/getting-started/installation/"),
    "docker": Runtime("docker", "Docker Desktop", "docker", "https://www.docker.com/products/docker-desktop/"),
    "plugboard": Runtime("plugboard", "Plugboard", None, None),
}


@dataclass(frozen=True)
class CatalogInput:
    id: str
    type: str
    label: str
    placeholder: str = ""
    required: bool = True
    env: str | None = None
    help: str = ""

    @property
    def is_secret(self) -> bool:
        return self.type == "secret"


ArgTemplate = str | tuple[str, ...]


@dataclass(frozen=True)
class CatalogCheck:
    """The harmless read-only tool call that proves an item's credentials."""

    tool: str
    arguments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CatalogItem:
    id: str
    name: str
    description: str
    runtime: str
    command: str
    args: tuple[ArgTemplate, ...]
    inputs: tuple[CatalogInput, ...]
    docs: str
    keywords: tuple[str, ...] = ()
    check: CatalogCheck | None = None

    @property
    def package(self) -> str | None:
        """What the item runs: its first argument that is neither a flag nor a template (an npm/PyPI package or
        an image), or None (Plugboard's own proxy)."""
        fixed = [a for a in self.args if isinstance(a, str) and "{" not in a]
        if self.command == "plugboard":
            return None
        if self.command == "docker":  # docker run [options] IMAGE: the image comes last
            return fixed[-1] if fixed else None
        return next((a for a in fixed if not a.startswith("-")), None)

    def input(self, input_id: str) -> CatalogInput:
        for item in self.inputs:
            if item.id == input_id:
                return item
        raise NotFoundError(f"{self.name} has no input called {input_id}")

    @property
    def secret_keys(self) -> list[str]:
        return [i.id for i in self.inputs if i.is_secret]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "runtime": self.runtime,
            "command": self.command,
            "args": [list(a) if isinstance(a, tuple) else a for a in self.args],
            "inputs": [
                {k: v for k, v in vars(i).items() if v is not None and v != ""} | {"required": i.required}
                for i in self.inputs
            ],
            "docs": self.docs,
            "keywords": list(self.keywords),
        }
        if self.check is not None:
            out["check"] = {"tool": self.check.tool, "arguments": dict(self.check.arguments)}
        return out


@dataclass(frozen=True)
class Catalog:
    items: tuple[CatalogItem, ...]

    def get(self, item_id: str) -> CatalogItem:
        for item in self.items:
            if item.id == item_id:
                return item
        known = ", ".join(i.id for i in self.items)
        raise NotFoundError(f'the catalog has no server "{item_id}"; known: {known}')

    def search(self, text: str) -> list[CatalogItem]:
        """Items matching every word of `text` (name, id, description, keywords); name/id matches first."""
        words = [w for w in text.lower().split() if w]
        if not words:
            return list(self.items)

        def haystack(item: CatalogItem) -> str:
            return " ".join([item.id, item.name, item.description, *item.keywords, item.runtime]).lower()

        found = [i for i in self.items if all(w in haystack(i) for w in words)]
        return sorted(found, key=lambda i: 0 if any(w in f"{i.id} {i.name}".lower() for w in words) else 1)

    def match(self, server_command: list[str]) -> CatalogItem | None:
        """The item whose package (its first fixed, non-flag argument) the command runs, if any."""
        words = {_bare_package(w) for w in server_command[1:]}
        for item in self.items:
            package = item.package
            if package and _bare_package(package) in words:
                return item
        return None


def check_for(connector: Connector, catalog: Catalog | None = None) -> CatalogCheck | None:
    """The credential check of the catalog item a connector runs, if it is a known server that names one."""
    try:
        item = (catalog or load_catalog()).match(connector.server_command)
    except PlugboardError:
        return None
    return item.check if item is not None else None


def _bare_package(word: str) -> str:
    """`@scope/name@1.2` → `@scope/name`, `name@latest` → `name` (a version does not change what it is)."""
    at = word.rfind("@")
    return word[:at] if at > 0 else word


def describe(connector: Connector, catalog: Catalog | None = None) -> str:
    """One line saying what a connector is, for people: the catalog's sentence when it is a known server."""
    from plugboard.core.entries import ProxyEntry

    parsed = connector.parsed
    if isinstance(parsed, ProxyEntry):
        via = f" through the SSH tunnel {parsed.ssh}" if parsed.ssh else ""
        return f"Remote server at {parsed.url}{via}"
    try:
        item = (catalog or load_catalog()).match(connector.server_command)
    except PlugboardError:
        item = None
    if item is not None:
        return item.description
    program, *rest = connector.server_command or [""]
    first = next((w for w in rest if not w.startswith("-")), "")
    return f"Runs {Path(program).name} {first}".strip()


# -- loading and validation -------------------------------------------------------------------------------------


def read_catalog_data() -> Any:
    """The bundled catalog as parsed JSON."""
    text = resources.files("plugboard.resources").joinpath(CATALOG_RESOURCE).read_text(encoding="utf-8")
    return json.loads(text)


def load_catalog(data: Any = None) -> Catalog:
    """The bundled catalog (or `data`), validated; a `PlugboardError` lists every problem."""
    data = read_catalog_data() if data is None else data
    problems = validate_catalog(data)
    if problems:
        raise PlugboardError("the server catalog is broken: " + "; ".join(problems))
    return Catalog(tuple(_item(raw) for raw in data["servers"]))


def _item(raw: Mapping[str, Any]) -> CatalogItem:
    return CatalogItem(
        id=raw["id"],
        name=raw["name"],
        description=raw["description"],
        runtime=raw["runtime"],
        command=raw["command"],
        args=tuple(tuple(a) if isinstance(a, list) else a for a in raw["args"]),
        inputs=tuple(
            CatalogInput(
                id=i["id"],
                type=i["type"],
                label=i["label"],
                placeholder=i.get("placeholder", ""),
                required=bool(i.get("required", True)),
                env=i.get("env"),
                help=i.get("help", ""),
            )
            for i in raw["inputs"]
        ),
        docs=raw["docs"],
        keywords=tuple(raw.get("keywords", ())),
        check=CatalogCheck(raw["check"]["tool"], dict(raw["check"].get("arguments", {}))) if "check" in raw else None,
    )


_ITEM_KEYS = {"id", "name", "description", "runtime", "command", "args", "inputs", "docs", "keywords", "check"}
_CHECK_KEYS = {"tool", "arguments"}
_INPUT_KEYS = {"id", "type", "label", "placeholder", "required", "env", "help"}


def validate_catalog(data: Any) -> list[str]:
    """Every problem with a catalog document, in words; an empty list means it is valid."""
    if not isinstance(data, dict) or not isinstance(data.get("servers"), list):
        return ['the catalog must be an object with a "servers" list']
    problems: list[str] = []
    seen: set[str] = set()
    for index, raw in enumerate(data["servers"]):
        where = f"server #{index + 1}"
        if not isinstance(raw, dict):
            problems.append(f"{where} is not an object")
            continue
        item_id = raw.get("id")
        if isinstance(item_id, str):
            where = f'server "{item_id}"'
        problems += [f"{where}: {p}" for p in _item_problems(raw)]
        if item_id in seen:
            problems.append(f"{where}: the id is used twice")
        if isinstance(item_id, str):
            seen.add(item_id)
    return problems


def _item_problems(raw: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    unknown = set(raw) - _ITEM_KEYS
    if unknown:
        problems.append(f"unknown keys {sorted(unknown)}")
    if not isinstance(raw.get("id"), str) or not ID_PATTERN.match(raw["id"]):
        problems.append("id must be lower-case letters, digits and dashes")
    for key in ("name", "description", "command", "docs"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            problems.append(f"{key} must be a non-empty text")
    description = raw.get("description")
    if isinstance(description, str) and (not description.endswith(".") or description.count(". ") > 0):
        problems.append("description must be one sentence ending with a full stop")
    docs = raw.get("docs")
    if isinstance(docs, str) and not docs.startswith("https://"):
        problems.append("docs must be an https:// link")
    runtime = raw.get("runtime")
    if runtime not in RUNTIMES:
        problems.append(f"runtime must be one of {sorted(RUNTIMES)}")
    elif runtime == "plugboard" and raw.get("command") != "plugboard":
        problems.append('a plugboard item\'s command must be "plugboard"')
    elif runtime != "plugboard" and raw.get("command") != RUNTIMES[runtime].program:
        problems.append(f"a {runtime} item's command must be {RUNTIMES[runtime].program}")
    keywords = raw.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        problems.append("keywords must be a list of texts")
    inputs = raw.get("inputs")
    if not isinstance(inputs, list):
        return [*problems, "inputs must be a list"]
    if "check" in raw:
        problems += _check_problems(raw["check"], inputs)
    args = raw.get("args")
    if not isinstance(args, list) or not all(
        isinstance(a, str) or (isinstance(a, list) and a and all(isinstance(x, str) for x in a)) for a in args
    ):
        return [*problems, "args must be a list of texts or of non-empty lists of texts (groups)"]
    by_id: dict[str, dict[str, Any]] = {}
    for raw_input in inputs:
        problems += _input_problems(raw_input, runtime)
        if isinstance(raw_input, dict) and isinstance(raw_input.get("id"), str):
            if raw_input["id"] in by_id:
                problems.append(f"input {raw_input['id']} is listed twice")
            by_id[raw_input["id"]] = raw_input
    used_in_args: set[str] = set()
    for arg in args:
        group = arg if isinstance(arg, list) else [arg]
        names = {n for part in group for n in PLACEHOLDER.findall(part)}
        used_in_args |= names
        for n in names - {NAME_PLACEHOLDER}:
            if n not in by_id:
                problems.append(f"args name {{{n}}}, which is not an input")
        optional = [n for n in names if n in by_id and not by_id[n].get("required", True)]
        if optional and isinstance(arg, str):
            problems.append(f"optional input {optional[0]} must sit in an args group, so it can be left out")
    for input_id, raw_input in by_id.items():
        in_env = bool(raw_input.get("env"))
        in_args = input_id in used_in_args
        if in_env == in_args:
            problems.append(f"input {input_id} must fill exactly one place: an env variable or the args")
        if raw_input.get("type") == "secret" and in_args and runtime != "plugboard":
            problems.append(f"secret {input_id} is in args; secrets must fill env (args are visible to everyone)")
    return problems


def _check_problems(check: Any, inputs: list[Any]) -> list[str]:
    """A `check` is {"tool": name, "arguments"?: object}, and only on an item with a secret to prove."""
    if not isinstance(check, dict):
        return ['check must be an object {"tool": ..., "arguments": {...}}']
    problems: list[str] = []
    unknown = set(check) - _CHECK_KEYS
    if unknown:
        problems.append(f"check has unknown keys {sorted(unknown)}")
    if not isinstance(check.get("tool"), str) or not check["tool"].strip():
        problems.append("check.tool must name a tool")
    if not isinstance(check.get("arguments", {}), dict):
        problems.append("check.arguments must be an object")
    if not any(isinstance(i, dict) and i.get("type") == "secret" for i in inputs):
        problems.append("a check proves credentials: only an item with a secret input may have one")
    return problems


def _input_problems(raw: Any, runtime: Any) -> list[str]:
    if not isinstance(raw, dict):
        return ["an input is not an object"]
    input_id = raw.get("id")
    if not isinstance(input_id, str) or not INPUT_ID_PATTERN.match(input_id) or input_id == NAME_PLACEHOLDER:
        return [f"input id {input_id!r} must be a name of letters, digits and _ (and not 'name')"]
    problems: list[str] = []
    unknown = set(raw) - _INPUT_KEYS
    if unknown:
        problems.append(f"input {input_id} has unknown keys {sorted(unknown)}")
    if raw.get("type") not in INPUT_TYPES:
        problems.append(f"input {input_id} has type {raw.get('type')!r}, not one of {list(INPUT_TYPES)}")
    if not isinstance(raw.get("label"), str) or not raw["label"].strip():
        problems.append(f"input {input_id} needs a label")
    for key in ("placeholder", "help"):
        if key in raw and not isinstance(raw[key], str):
            problems.append(f"input {input_id}: {key} must be a text")
    if not isinstance(raw.get("required", True), bool):
        problems.append(f"input {input_id}: required must be true or false")
    env = raw.get("env")
    if env is not None and (not isinstance(env, str) or not KEY_PATTERN.match(env)):
        problems.append(f"input {input_id}: env must be an environment variable name")
    if raw.get("type") == "secret":
        if not KEY_PATTERN.match(input_id):
            problems.append(f"secret {input_id}: its id is the keyring KEY and must be an env-variable name")
        if env is not None and env != input_id:
            problems.append(f"secret {input_id}: its id must equal the env variable it fills ({env})")
    return problems


# -- filling the form ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogPlan:
    """What adding one catalog item will write: the entry (no secret values) and the secrets for the keyring."""

    item: CatalogItem
    name: str
    entry: dict[str, Any]
    secrets: dict[str, str] = field(repr=False)
    """KEY → value, for the keyring only. Never printed, logged or written to a file."""


def check_values(item: CatalogItem, values: Mapping[str, str]) -> dict[str, str]:
    """The form's values cleaned (paths expanded, text stripped); a `PlugboardError` names the first bad field."""
    unknown = sorted(set(values) - {i.id for i in item.inputs})
    if unknown:
        known = ", ".join(i.id for i in item.inputs) or "none"
        raise PlugboardError(f"{item.name} has no field {', '.join(unknown)} (its fields: {known})")
    cleaned: dict[str, str] = {}
    for spec in item.inputs:
        raw = values.get(spec.id, "")
        # A pasted secret loses the line break or spaces around it (`adding.trim_secret`); one inside it is refused.
        value = raw.strip()
        if not value.strip():
            if spec.required:
                raise PlugboardError(f"{item.name} needs “{spec.label}” ({spec.id})")
            continue
        if spec.type in ("folder", "file"):
            path = Path(value).expanduser()
            if not path.is_absolute():
                raise PlugboardError(f"“{spec.label}” must be a full path (starting with / or ~), not {value}")
            if spec.type == "folder" and not path.is_dir():
                raise PlugboardError(f"“{spec.label}”: the folder {path} does not exist")
            if spec.type == "file" and not path.parent.is_dir():
                raise PlugboardError(f"“{spec.label}”: the folder {path.parent} does not exist")
            value = str(path)
        elif spec.type == "url":
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise PlugboardError(f"“{spec.label}” must be an http:// or https:// address, not {value}")
        elif spec.is_secret and ("\n" in value or "\r" in value):
            raise PlugboardError(f"“{spec.label}” contains a line break; paste only the value")
        cleaned[spec.id] = value
    return cleaned


def render_args(item: CatalogItem, name: str, values: Mapping[str, str]) -> list[str]:
    """The args template filled in: groups naming an empty input are dropped; secrets appear by KEY only."""
    specs = {i.id: i for i in item.inputs}

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key == NAME_PLACEHOLDER:
            return name
        return key if specs[key].is_secret else values[key]

    out: list[str] = []
    for arg in item.args:
        group = list(arg) if isinstance(arg, tuple) else [arg]
        names = {n for part in group for n in PLACEHOLDER.findall(part)} - {NAME_PLACEHOLDER}
        if any(n not in values for n in names):
            continue
        out += [PLACEHOLDER.sub(fill, part) for part in group]
    return out


def plan_add(item: CatalogItem, name: str, values: Mapping[str, str]) -> CatalogPlan:
    """Check the form and build the connector entry; nothing is stored yet."""
    from plugboard.core import install
    from plugboard.core.config.adding import check_name
    from plugboard.core.entries import LauncherEntry, parse

    check_name(name)
    cleaned = check_values(item, values)
    args = render_args(item, name, cleaned)
    env = {i.env: cleaned[i.id] for i in item.inputs if i.env and not i.is_secret and i.id in cleaned}
    secrets = {i.id: cleaned[i.id] for i in item.inputs if i.is_secret and i.id in cleaned}
    if item.runtime == "plugboard":
        # The item's args template is a `plugboard proxy ...` command line (the catalog's schema test checks it).
        entry: dict[str, Any] = parse({"command": install.entry_command(), "args": args, "env": env}).to_json()
        if not env:
            entry.pop("env", None)
    else:
        env_secrets = [i.id for i in item.inputs if i.is_secret and i.env and i.id in cleaned]
        entry = LauncherEntry.new(name, item.command, args, secrets=env_secrets, env=env).to_json()
    return CatalogPlan(item, name, entry, secrets)


def add_from_catalog(
    connectors: Any,
    plan: CatalogPlan,
    *,
    store_secret: Callable[[str, str, str], None] | None = None,
) -> None:
    """Store the plan's secrets in the keyring, then add its entry to Claude's config (`connectors`: Connectors).

    The name is checked first, so a clash never overwrites a keyring value that belongs to another connector.
    Secrets go first so the entry never exists without them.
    """
    from plugboard.core.errors import ClashError

    if plan.name in {c.name for c in connectors.all()}:
        raise ClashError(f'a connector called "{plan.name}" already exists; pick another name')
    if plan.secrets:
        if store_secret is None:
            from plugboard.core.secrets.keyring import set_secret

            store_secret = set_secret
        for key, value in plan.secrets.items():
            store_secret(plan.name, key, value)
    connectors.add(plan.name, plan.entry)


# -- is the runtime there? ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuntimeCheck:
    runtime: Runtime
    found: str | None
    """Absolute path of the runtime's program, or None when it is missing (or not needed)."""
    searched: tuple[str, ...]
    message: str
    """One plain sentence: what was found, or what to install and from where."""

    @property
    def ok(self) -> bool:
        return self.found is not None or self.runtime.program is None


def check_runtime(item: CatalogItem, **resolve_options: Any) -> RuntimeCheck:
    """Is the item's runtime installed where the launcher will look (PATH, nvm, volta, homebrew, ~/.local/bin…)?

    `resolve_options` go to `resolve.resolve_command` (`env`, `home`, `system`, `root`) so tests use fake trees.
    """
    from plugboard.core.launch.resolve import CommandNotFound, resolve_command

    runtime = RUNTIMES[item.runtime]
    if runtime.program is None:
        return RuntimeCheck(runtime, None, (), f"{item.name} runs through Plugboard itself; nothing to install.")
    try:
        resolved = resolve_command(runtime.program, **resolve_options)
    except CommandNotFound as exc:
        searched = tuple(str(p) for p in exc.searched)
        return RuntimeCheck(
            runtime,
            None,
            searched,
            f"{item.name} needs {runtime.label}, which is not installed on this computer "
            f"(`{runtime.program}` is not on PATH nor in {len(searched)} other usual places). "
            f"Install {runtime.label} from {runtime.install_url}, then try again.",
        )
    return RuntimeCheck(runtime, str(resolved.program), (), f"{runtime.label} is installed ({resolved.program}).")
