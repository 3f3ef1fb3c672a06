"""Helpers the UI tests share (imported as ``support``: pytest puts this folder on the path)."""


def settle(qtbot, win) -> None:
    """Let the coalescing timers fire: the charts, then the table."""
    qtbot.waitUntil(lambda: not win.busy(), timeout=3000)
