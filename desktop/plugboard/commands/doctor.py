"""`plugboard doctor [NAME] [--json]`: start each connector (or one) in isolation and explain what is wrong.

Exit code: 0 when every examined connector is OK, 1 when any has a problem (the report says which and why).
A launcher entry (`plugboard run NAME --secret K -- COMMAND ...`) is examined as the launcher would run it: the
real COMMAND with the secrets from the keyring. A bridge entry (`plugboard proxy ...`) and a plain entry are
started as written. Disabled connectors are examined too when named, skipped otherwise. A server the catalog knows
also gets its credential check (one harmless read-only call), so a fake key is found here too.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "doctor",
        parents=parents,
        help="start connectors, list what they offer, and explain failures in plain words",
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="only this connector (default: every enabled one)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="how long to wait for a server's first answer (default 60, as Claude Desktop)",
    )
    p.set_defaults(handler=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    from plugboard.core.clients.catalog import check_for, load_catalog
    from plugboard.core.config.connectors import Connectors
    from plugboard.core.errors import PlugboardError
    from plugboard.core.probe.doctor import DOCTOR_INITIALIZE_TIMEOUT_S, CheckCall, examine_connector, render

    connectors = Connectors.open(args.config)
    if args.name:
        chosen = [connectors.get(args.name)]
    else:
        chosen = [c for c in connectors.all() if c.enabled]
        if not chosen:
            raise PlugboardError(f"no enabled connectors in {connectors.path} to examine")
    timeout = args.timeout if args.timeout and args.timeout > 0 else DOCTOR_INITIALIZE_TIMEOUT_S
    reports = []
    catalog = load_catalog()
    for connector in chosen:
        # A known server's credential check (the catalog names one harmless call): a fake key fails here too.
        known = check_for(connector, catalog)
        check = CheckCall(known.tool, dict(known.arguments)) if known is not None else None
        report = examine_connector(
            connector, logs_dir=connectors.discovery.logs_dir, initialize_timeout_s=timeout, check=check
        )
        reports.append(report)
        if not args.json:
            print(render(report), flush=True)
            print()
    if args.json:
        print(json.dumps([r.to_json() for r in reports], indent=2, ensure_ascii=False))
    failed = [r.name for r in reports if not r.ok]
    if failed and not args.json:
        print(f"plugboard: problems found in {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0
