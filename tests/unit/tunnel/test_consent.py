"""Host-key consent (core/tunnel/consent.py) without Qt: tunnel threads wait for an answer with a deadline, the first
answer counts, cancelling answers "no" at once (all, or one server's), and a changed key reaches the subscribers with
both fingerprints. The dialogs that answer in the app: tests/gui/test_remote_page.py (against a real sshd)."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from pathlib import Path

import paramiko
import pytest

from plugboard.core.tunnel.consent import Asked, Changed, ConsentEvent, Dismissed, HostKeyConsent, Settled
from plugboard.core.tunnel.hostkeys import ChangedHostKeyError, UnknownHostKeyError, fingerprint

# How long a test waits for a thread to block in `confirm` or to come back from it (milliseconds, normally).
NOTICE_S = 10.0


@pytest.fixture(scope="module")
def key() -> paramiko.PKey:
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption())
    return paramiko.Ed25519Key.from_private_key(io.StringIO(pem.decode()))


class Asking:
    """`confirm` run on threads of their own, as tunnels do; `results` gets each answer as it comes back."""

    def __init__(self, consent: HostKeyConsent) -> None:
        self.consent = consent
        self.results: dict[str, bool] = {}
        self.threads: list[threading.Thread] = []

    def ask(self, label: str, problem: UnknownHostKeyError) -> None:
        thread = threading.Thread(target=lambda: self.results.__setitem__(label, self.consent.confirm(problem)))
        self.threads.append(thread)
        thread.start()

    def until(self, condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + NOTICE_S
        while not condition():
            assert time.monotonic() < deadline, "condition not met in time"
            threading.Event().wait(0.005)  # a polling helper with a deadline (STYLE.md §6)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(NOTICE_S)
        assert not any(t.is_alive() for t in self.threads)


def events_of(consent: HostKeyConsent) -> list[ConsentEvent]:
    events: list[ConsentEvent] = []
    consent.subscribe(events.append)
    return events


def test_a_question_waits_for_the_answer_and_the_subscribers_hear_it_asked_then_settled(key):
    consent = HostKeyConsent()
    events = events_of(consent)
    asking = Asking(consent)

    asking.ask("droplet", UnknownHostKeyError("droplet.example", 22, key))
    asking.until(lambda: consent.waiting() == 1)
    (asked,) = events
    assert isinstance(asked, Asked) and asked.question.problem.fingerprint == fingerprint(key)
    assert "droplet" not in asking.results  # still waiting: nothing logs in while the user decides
    assert asked.question.answer(True)
    asking.join()

    assert asking.results == {"droplet": True}
    assert isinstance(events[-1], Settled) and events[-1].question is asked.question
    assert consent.waiting() == 0


def test_a_question_nobody_answers_in_time_is_a_no_and_a_late_yes_does_not_count(key):
    consent = HostKeyConsent(wait_s=0.2)
    events = events_of(consent)

    assert consent.confirm(UnknownHostKeyError("droplet.example", 22, key)) is False

    question = events[0].question  # type: ignore[union-attr]
    assert isinstance(events[-1], Settled)
    assert question.answer(True) is False and question.accepted is False


def test_cancel_for_answers_no_only_for_that_server_and_cancel_all_for_the_rest(key):
    consent = HostKeyConsent()
    events = events_of(consent)
    asking = Asking(consent)
    asking.ask("a", UnknownHostKeyError("a.example", 22, key))
    asking.ask("b", UnknownHostKeyError("b.example", 2222, key))
    asking.until(lambda: consent.waiting() == 2)

    consent.cancel_for("b.example", 2222)
    asking.until(lambda: "b" in asking.results)
    assert asking.results == {"b": False} and consent.waiting() == 1
    assert Dismissed("b.example", 2222) in events

    consent.cancel_all()
    asking.join()
    assert asking.results == {"a": False, "b": False}
    # Not closing: a later question is asked as usual.
    asking.ask("c", UnknownHostKeyError("c.example", 22, key))
    asking.until(lambda: consent.waiting() == 1)
    consent.cancel_all()
    asking.join()


def test_once_closed_every_question_is_a_no_without_asking_and_changed_keys_are_not_reported(key, tmp_path: Path):
    consent = HostKeyConsent()
    events = events_of(consent)

    consent.close()
    consent.close()  # twice is fine

    assert consent.confirm(UnknownHostKeyError("droplet.example", 22, key)) is False
    consent.report_changed(ChangedHostKeyError("droplet.example", 22, key, key, tmp_path / "known_hosts"))
    assert events == [Dismissed(), Dismissed()]


def test_the_consent_known_hosts_report_a_changed_key_with_both_fingerprints_and_still_refuse_it(key, tmp_path: Path):
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption())
    other = paramiko.Ed25519Key.from_private_key(io.StringIO(pem.decode()))
    user_file = tmp_path / "user_known_hosts"
    user_file.write_text(f"droplet.example {other.get_name()} {other.get_base64()}\n")
    consent = HostKeyConsent()
    events = events_of(consent)

    with pytest.raises(ChangedHostKeyError):
        consent.known_hosts(tmp_path / "own_known_hosts", user_file).check("droplet.example", 22, key)

    (changed,) = events
    assert isinstance(changed, Changed)
    assert (changed.problem.old_fingerprint, changed.problem.new_fingerprint) == (fingerprint(other), fingerprint(key))
    assert changed.problem.source == user_file
