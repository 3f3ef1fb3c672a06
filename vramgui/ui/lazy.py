"""Panels built only while shown: a hidden panel keeps its source and nothing more; shown, it
rebuilds on the next turn of the event loop, and during a drag at most every ``THROTTLE_MS``
(after the charts have been drawn)."""

from __future__ import annotations

from PySide6 import QtCore

THROTTLE_MS = 80


class RebuildWhenShown:
    """Mixin for a widget with a ``rebuild()``: call :meth:`_init_rebuild` in ``__init__``,
    :meth:`mark_stale` when the source changes, and start ``rebuild`` with :meth:`_start_rebuild`."""

    def _init_rebuild(self) -> None:
        self._stale = False
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(THROTTLE_MS)
        self._timer.timeout.connect(self.rebuild)

    def mark_stale(self) -> None:
        """The source changed: rebuild soon if shown (a throttle: a drag does not restart it)."""
        self._stale = True
        if self.isVisible() and not self._timer.isActive():
            self._timer.start()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._stale:
            self._timer.start(0)          # just opened: at once (the next turn of the event loop)

    def _start_rebuild(self, force: bool = False) -> bool:
        """At the top of ``rebuild``: whether to build now (shown, or ``force``d); clears the mark."""
        self._timer.setInterval(THROTTLE_MS)       # a show's start(0) changed it
        if not (self.isVisible() or force):
            return False
        self._stale = False
        return True
