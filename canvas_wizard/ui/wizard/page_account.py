"""Account page: the accounts the admin manages, as a tree, and what a sync may do in each."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
)

from canvas_wizard.core.canvas import Account, AccountNode, PermissionReport
from canvas_wizard.core.canvas.auth_providers import ANY, CANVAS, SignInChoice, setting_for
from canvas_wizard.ui.widgets import plain_label
from canvas_wizard.ui.wizard.base import WizardContext, WizardPage

_ACCOUNT_ROLE = Qt.ItemDataRole.UserRole


def describe_permissions(report: PermissionReport) -> str:
    account = report.account
    kind = "the root account" if account.is_root else "a sub-account"
    lines = [f"{account.name} (id {account.id}) is {kind}.", *report.explanation]
    if report.missing:
        lines.append(
            "Ask a Canvas administrator of the root account to grant what is missing, "
            "or choose another account."
        )
    return "\n".join(lines)


class AccountPage(WizardPage):
    def __init__(self, ctx: WizardContext) -> None:
        super().__init__(
            ctx,
            "Choose the Canvas account to sync",
            "Students and parents are created in this account. Most schools choose their root account.",
        )
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter accounts by name")
        self.filter_edit.setAccessibleName("Filter accounts")
        self.filter_edit.setClearButtonEnabled(True)
        self.body.addWidget(self.filter_edit)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Account", "Type", "ID"])
        self.tree.setAccessibleName("Canvas accounts")
        self.tree.setColumnWidth(0, 320)
        self.body.addWidget(self.tree, 1)
        self.reload_button = QPushButton("Reload accounts")
        self.reload_button.setAccessibleName("Reload the list of accounts")
        self.body.addWidget(self.reload_button, 0, Qt.AlignmentFlag.AlignLeft)
        details_title = QLabel("What you can do there:")
        self.details = plain_label("")
        self.details.setAccessibleName("Permissions in the chosen account")
        self.body.addWidget(details_title)
        self.body.addWidget(self.details)
        sign_in_title = QLabel("New logins sign in with:")
        self.sign_in_combo = QComboBox()
        self.sign_in_combo.setAccessibleName("Sign-in provider for new logins")
        self.sign_in_combo.setEnabled(False)
        # Provider labels arrive after the page is built; the box grows to show them whole.
        self.sign_in_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        sign_in_title.setBuddy(self.sign_in_combo)
        self.sign_in_note = plain_label(
            "Choose how your school signs in to Canvas. A login made for another sign-in "
            "method may not let the person in."
        )
        self.body.addWidget(sign_in_title)
        self.body.addWidget(self.sign_in_combo, 0, Qt.AlignmentFlag.AlignLeft)
        self.body.addWidget(self.sign_in_note)
        self.add_status_line()
        self.report: PermissionReport | None = None
        self.sign_in: SignInChoice | None = None
        self._loaded = False
        self.filter_edit.textChanged.connect(self._apply_filter)
        self.tree.currentItemChanged.connect(self._on_selected)
        self.reload_button.clicked.connect(self._load)

    def initializePage(self) -> None:
        if not self._loaded:
            self._load()

    def isComplete(self) -> bool:
        return not self.busy and self.selected_account() is not None and self.report is not None

    def validatePage(self) -> bool:
        account = self.selected_account()
        if account is None:
            return False
        setting = self.chosen_sign_in()
        return self.check_then_advance(
            lambda: self.ctx.session.connect(account, setting), "Saving your choice…"
        )

    def chosen_sign_in(self) -> dict[str, str] | None:
        """What the profile keeps for the provider picked in the list (None: not loaded)."""
        if self.sign_in is None:
            return None
        choice = self.sign_in_combo.currentData()
        return setting_for(str(choice), self.sign_in.providers) if choice else None

    def selected_account(self) -> Account | None:
        item = self.tree.currentItem()
        if item is None:
            return None
        value = item.data(0, _ACCOUNT_ROLE)
        return value if isinstance(value, Account) else None

    # -- loading --------------------------------------------------------------------
    def _load(self) -> None:
        self.tree.clear()
        self.report = None
        self.details.setText("")
        self.run(
            self.ctx.session.list_accounts,
            self._on_loaded,
            busy_text="Loading your Canvas accounts…",
        )

    def _on_loaded(self, nodes: list[AccountNode]) -> None:
        self._loaded = True
        self.status.clear()
        connected = self.ctx.session.profile.account
        chosen: QTreeWidgetItem | None = None

        def add(node: AccountNode, parent: QTreeWidgetItem | None) -> None:
            nonlocal chosen
            acc = node.account
            item = QTreeWidgetItem(
                [acc.name, "Root account" if acc.is_root else "Sub-account", str(acc.id)]
            )
            item.setData(0, _ACCOUNT_ROLE, acc)
            if parent is None:
                self.tree.addTopLevelItem(item)
            else:
                parent.addChild(item)
            if connected is not None and connected.id == acc.id:
                chosen = item
            for child in node.children:
                add(child, item)

        for node in nodes:
            add(node, None)
        self.tree.expandAll()
        if not nodes:
            self.status.show_status(
                "error",
                "You are not an administrator of any Canvas account, so there is nothing to sync into. "
                "Sign in with a Canvas admin login (go Back), or ask your Canvas administrator for admin rights.",
            )
        elif chosen is not None:
            self.tree.setCurrentItem(chosen)
        elif self.tree.topLevelItemCount() == 1:
            only = self.tree.topLevelItem(0)
            if only is not None:
                self.tree.setCurrentItem(only)
        self.completeChanged.emit()

    def _on_selected(self, current: QTreeWidgetItem | None, _previous: Any) -> None:
        self.report = None
        self.sign_in = None
        self.sign_in_combo.clear()
        self.sign_in_combo.setEnabled(False)
        self.completeChanged.emit()
        account = self.selected_account()
        if account is None:
            self.details.setText("")
            return
        self.details.setText("Checking your permissions…")
        session = self.ctx.session
        self.run(
            lambda: (session.check_permissions(account), session.sign_in_choice(account)),
            self._on_checked_account,
            busy_text="",
        )

    def _on_checked_account(self, result: tuple[PermissionReport, SignInChoice]) -> None:
        report, sign_in = result
        if self.selected_account() != report.account:
            return  # the admin moved on while this was loading
        self._show_sign_in(sign_in)
        self._on_report(report)

    def _on_report(self, report: PermissionReport) -> None:
        if self.selected_account() != report.account:
            return  # the admin moved on while this was loading
        self.report = report
        self.details.setText(describe_permissions(report))
        self.completeChanged.emit()

    def _show_sign_in(self, sign_in: SignInChoice) -> None:
        self.sign_in = sign_in
        combo = self.sign_in_combo
        combo.clear()
        for provider in sign_in.providers:
            if provider.auth_type != CANVAS:
                combo.addItem(provider.label, str(provider.id))
        combo.addItem("Canvas passwords", CANVAS)
        combo.addItem("Any sign-in method (no provider in particular)", ANY)
        chosen = combo.findData(sign_in.setting["choice"])
        if chosen < 0:  # an id Canvas did not list (it could not be read): keep it
            combo.addItem(sign_in.setting["label"], sign_in.setting["choice"])
            chosen = combo.count() - 1
        combo.setCurrentIndex(chosen)
        combo.setEnabled(True)
        note = (
            "Choose how your school signs in to Canvas. A login made for another sign-in "
            "method may not let the person in."
        )
        self.sign_in_note.setText(f"{sign_in.warning}\n{note}" if sign_in.warning else note)

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().casefold()

        def visit(item: QTreeWidgetItem) -> bool:
            child_match = False
            for i in range(item.childCount()):
                child = item.child(i)
                if child is not None:
                    child_match = visit(child) or child_match
            match = not needle or needle in item.text(0).casefold() or needle == item.text(2)
            item.setHidden(not (match or child_match))
            return match or child_match

        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            if top is not None:
                visit(top)
