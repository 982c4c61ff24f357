"""gui/worker.py: a bug in a worker's job reaches the window as a plain sentence, never as the exception's text."""

from PySide6.QtWidgets import QWidget

from plugboard.gui.worker import Workers


def test_an_unexpected_error_is_said_in_words_without_its_text_and_logged_in_full(qtbot, caplog):
    owner = QWidget()
    qtbot.addWidget(owner)
    said: list[str] = []
    workers = Workers(owner, on_failed=said.append)

    def job() -> None:
        raise KeyError("ghp_0123456789abcdefSECRET")  # an exception whose text holds a value read somewhere

    workers.start("save", job, on_done=lambda _r: None)
    qtbot.waitUntil(lambda: bool(said), timeout=5000)
    workers.join(5)
    assert said == [
        "Something went wrong inside Plugboard (not something you did). Try again; if it happens again, "
        "please report it (error: KeyError)."
    ]
    assert any("save: unexpected error" in r.getMessage() and r.exc_info for r in caplog.records)
