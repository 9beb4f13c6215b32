"""The main window's banner about unattended runs: failed, held, did not run, or paused.

What to say is decided by :func:`canvas_wizard.core.schedule.attention.attention`;
this widget only shows it, with the one action that fits.

Signals:
    reviewRequested(object): the held run (a RunSummary) to review and approve.
    resumeRequested(): the admin wants syncing resumed.
    scheduleRequested(): open the Schedule dialog (to test or fix the entry).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QStyle, QWidget

from canvas_wizard.core.schedule.attention import Attention, AttentionKind
from canvas_wizard.ui.widgets import plain_label


class AttentionBanner(QFrame):
    reviewRequested = Signal(object)
    resumeRequested = Signal()
    scheduleRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attentionBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QHBoxLayout(self)
        self._icon = plain_label(wrap=False)
        self.text = plain_label()
        self.text.setAccessibleName("Unattended sync notice")
        self.review_button = QPushButton("Review and approve…")
        self.review_button.setAccessibleName("Review the held plan and approve it")
        self.resume_button = QPushButton("Resume syncing")
        self.resume_button.setAccessibleName("Resume syncing")
        self.schedule_button = QPushButton("Schedule…")
        self.schedule_button.setAccessibleName("Open the schedule to test or change it")
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.setAccessibleName("Hide this notice")
        layout.addWidget(self._icon)
        layout.addWidget(self.text, 1)
        for button in (
            self.review_button,
            self.resume_button,
            self.schedule_button,
            self.dismiss_button,
        ):
            layout.addWidget(button)
        self.attention: Attention | None = None
        self.review_button.clicked.connect(self._on_review)
        self.resume_button.clicked.connect(self.resumeRequested)
        self.schedule_button.clicked.connect(self.scheduleRequested)
        self.dismiss_button.clicked.connect(self.hide)
        self.show_attention(None)

    def show_attention(self, attention: Attention | None) -> None:
        self.attention = attention
        if attention is None:
            self.hide()
            return
        kind = attention.kind
        warn = kind in (AttentionKind.FAILED, AttentionKind.MISSED)
        pixmap = (
            QStyle.StandardPixmap.SP_MessageBoxWarning
            if warn
            else QStyle.StandardPixmap.SP_MessageBoxInformation
        )
        self._icon.setPixmap(self.style().standardIcon(pixmap).pixmap(24, 24))
        self.setProperty("severity", "warning" if warn else "info")
        self.setStyleSheet(
            "#attentionBanner { border: 1px solid palette(mid); border-radius: 4px; "
            f"background: {'rgba(230, 160, 0, 40)' if warn else 'rgba(0, 120, 215, 30)'}; }}"
        )
        self.text.setText(attention.text)
        self.review_button.setVisible(kind is AttentionKind.HELD)
        self.resume_button.setVisible(kind is AttentionKind.PAUSED)
        self.schedule_button.setVisible(kind in (AttentionKind.MISSED, AttentionKind.FAILED))
        self.show()

    def _on_review(self) -> None:
        if self.attention is not None:
            self.reviewRequested.emit(self.attention.run)
