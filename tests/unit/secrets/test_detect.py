"""What `plugboard logs` and the doctor mask from a connector's plain `env` block: the values
`secrets.detect.looks_secret` calls secret (one rule for import, export and masking), and the password inside a URL."""

from __future__ import annotations

from plugboard.core.logs.redact import MASK, Redactor
from plugboard.core.secrets.detect import secret_values


def test_a_database_url_with_a_password_is_masked_whole_and_its_password_alone_too() -> None:
    env = {"DATABASE_URL": "postgres://app:pg-Pw7x2q@db.internal:5432/shop", "REGION": "eu"}
    redactor = Redactor(secret_values({}, env))
    line = "connecting to postgres://app:pg-Pw7x2q@db.internal:5432/shop; auth with pg-Pw7x2q failed in eu"
    assert redactor.redact(line) == f"connecting to {MASK}; auth with {MASK} failed in eu"


def test_env_values_are_judged_by_the_same_rule_as_import_and_export() -> None:
    env = {
        "GITHUB_PERSONAL_ACCESS_TOKEN": "plain-value-1",
        "SLACK_BOT": "xoxb-1111-2222-abcdef",
        "OPENAI_KEY": "whatever-2",
        "LOG_LEVEL": "debug",
        "CONFIG_PATH": "/etc/app/key.json",
        "TOKEN_URL": "https://auth.example.com/token",
    }
    values = secret_values({"API_KEY": "from-keyring"}, env)
    assert sorted(values) == sorted(["from-keyring", "plain-value-1", "xoxb-1111-2222-abcdef", "whatever-2"])
