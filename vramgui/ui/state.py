"""The one piece of state: the current scenario, edited by the controls.

Every edit re-validates through the core's :class:`Scenario`; a refused edit leaves the
scenario as it was and emits ``refused`` with the reason, so the window can show it.
"""

from __future__ import annotations

from pydantic import ValidationError
from PySide6 import QtCore

from ..core import Catalog, Scenario
from ..core.errors import pydantic_message
from ..core.presets import GPU


class ScenarioState(QtCore.QObject):
    changed = QtCore.Signal()
    refused = QtCore.Signal(str)

    def __init__(self, catalog: Catalog, scenario: Scenario, parent=None):
        super().__init__(parent)
        self.catalog = catalog
        self._scenario = scenario
        self.compare: list[GPU] = []

    @property
    def scenario(self) -> Scenario:
        return self._scenario

    def update(self, **change) -> bool:
        """Apply ``change`` if the result validates; True when the scenario changed."""
        try:
            new = self._scenario.with_(**change)
        except ValidationError as exc:
            self.refused.emit(pydantic_message(exc))
            return False
        if new == self._scenario:
            return False
        self._scenario = new
        self.changed.emit()
        return True

    def set_model(self, model_id: str) -> bool:
        model = self.catalog.models.get(model_id)
        return model is not None and self.update(model=model)

    def set_gpu(self, gpu_id: str) -> bool:
        gpu = self.catalog.gpus.get(gpu_id)
        return gpu is not None and self.update(gpu=gpu)

    def set_compare(self, gpu_ids: list[str]) -> None:
        self.compare = [self.catalog.gpus[i] for i in gpu_ids if i in self.catalog.gpus][:4]
        self.changed.emit()
