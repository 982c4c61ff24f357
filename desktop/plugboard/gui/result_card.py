"""The card that says what a Test (or a connector's health) found: a headline in plain words, one or two sentences
of advice, a button for each step the app can take (set the token, open the log, get the runtime — a link — let
Plugboard start it, sign in, edit, test again), and the details folded away under "Details".

The words are `core.probe.verdict`'s; this widget only lays them out and reports a button as `step_chosen(name,
Step)`. The page decides what a step does.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget

from plugboard.core.probe.verdict import Action, Finding, Step

HEADLINE_COLOURS = {"ok": "#2e7d32", "bad": "#c62828", "warn": "#a86400"}


class ResultCard(QFrame):
    step_chosen = Signal(str, object)
    """(connector name, the `Step` whose button was pressed)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Test result")
        self.name = ""
        self.finding: Finding | None = None
        self.headline = QLabel()
        self.headline.setObjectName("resultHeadline")
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.headline.font()
        font.setBold(True)
        self.headline.setFont(font)
        self.advice = QLabel()
        self.advice.setWordWrap(True)
        self.advice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = QToolButton()
        self.details_button.setText("Details")
        self.details_button.setCheckable(True)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.toggled.connect(self._fold)
        self.details = QLabel()
        self.details.setObjectName("resultDetails")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.hide()
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setAccessibleName("Close the result")
        self.close_button.setAutoRaise(True)
        self.close_button.clicked.connect(self.hide)
        self.step_row = QHBoxLayout()
        self.step_row.setContentsMargins(0, 0, 0, 0)
        self.step_buttons: list[QPushButton] = []
        top = QHBoxLayout()
        top.addWidget(self.headline, 1)
        top.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        bottom = QHBoxLayout()
        bottom.addLayout(self.step_row)
        bottom.addStretch(1)
        bottom.addWidget(self.details_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.advice)
        layout.addLayout(bottom)
        layout.addWidget(self.details)
        self.hide()

    def show_finding(self, name: str, finding: Finding, light: str) -> None:
        self.name = name
        self.finding = finding
        colour = HEADLINE_COLOURS.get(light)
        self.headline.setStyleSheet(f"color: {colour};" if colour else "")
        self.headline.setText(f"{name}: {finding.headline}")
        self.advice.setText(finding.advice)
        self.advice.setVisible(bool(finding.advice))
        for button in self.step_buttons:
            self.step_row.removeWidget(button)
            button.deleteLater()
        self.step_buttons = []
        for step in finding.steps:
            button = QPushButton(step.label)
            if step.action is Action.INSTALL:
                button.setToolTip(f"Opens {step.target} in your browser")
            elif step.action is Action.SIGN_IN:
                button.setToolTip("Opens your browser to sign in; Plugboard keeps the sign-in in your keychain")
            button.clicked.connect(lambda _checked=False, s=step: self.step_chosen.emit(self.name, s))
            self.step_row.addWidget(button)
            self.step_buttons.append(button)
        self.details.setText("\n".join(finding.details))
        self.details_button.setVisible(bool(finding.details))
        self.details_button.setChecked(False)
        self.setAccessibleDescription(f"{finding.headline}. {finding.advice}")
        self.show()

    def button(self, action: Action) -> QPushButton | None:
        """The button of the first step doing `action`, if the card shows one."""
        assert self.finding is not None
        for step, button in zip(self.finding.steps, self.step_buttons, strict=True):
            if step.action is action:
                return button
        return None

    def steps(self) -> list[Step]:
        return list(self.finding.steps) if self.finding else []

    def _fold(self, unfolded: bool) -> None:
        self.details.setVisible(unfolded)
        self.details_button.setArrowType(Qt.ArrowType.DownArrow if unfolded else Qt.ArrowType.RightArrow)
