"""Colours that stay readable in the desktop's light or dark theme.

A fixed dark red reads well on white and not at all on a dark theme's grey
(issue 15: conflict rows under ``GTK_THEME=Adwaita:dark``). Colours here are
chosen against the palette in use, and tests check WCAG's 4.5:1 contrast for
body text against both backgrounds a table paints (Base and AlternateBase).
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette

#: WCAG 2 "AA" contrast for normal text.
MIN_CONTRAST = 4.5
_RED_ON_LIGHT = QColor("#b00020")
_RED_ON_DARK = QColor("#ff9e9e")


def _channel(value: float) -> float:
    return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4


def luminance(color: QColor) -> float:
    """WCAG relative luminance, 0 (black) to 1 (white)."""
    r, g, b = (_channel(c) for c in (color.redF(), color.greenF(), color.blueF()))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio between two colours, 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def is_dark(palette: QPalette) -> bool:
    return luminance(palette.color(QPalette.ColorRole.Base)) < 0.2


def problem_text_color(palette: QPalette | None = None) -> QColor:
    """A red for text that needs attention (conflicts), readable on the palette's tables."""
    palette = palette or QGuiApplication.palette()
    return QColor(_RED_ON_DARK if is_dark(palette) else _RED_ON_LIGHT)


def dark_palette() -> QPalette:
    """A dark palette of the kind dark desktop themes give Qt (Fusion's dark colours)."""
    p = QPalette()
    window, base, alt, text = (
        QColor("#353535"),
        QColor("#2a2a2a"),
        QColor("#323232"),
        QColor("#e6e6e6"),
    )
    for role, color in (
        (QPalette.ColorRole.Window, window),
        (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base),
        (QPalette.ColorRole.AlternateBase, alt),
        (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.Button, window),
        (QPalette.ColorRole.ButtonText, text),
        (QPalette.ColorRole.ToolTipBase, base),
        (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.PlaceholderText, QColor("#9a9a9a")),
        (QPalette.ColorRole.Highlight, QColor("#2f65ca")),
        (QPalette.ColorRole.HighlightedText, QColor("#ffffff")),
        (QPalette.ColorRole.Link, QColor("#8ab4f8")),
    ):
        p.setColor(role, color)
    return p
