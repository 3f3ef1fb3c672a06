"""The window most UI tests drive: Llama 2 7B on an RTX 4090, prompt 4,096, output 256."""

import pytest

from vramgui.core import Scenario, load_catalog
from vramgui.ui.main_window import MainWindow
from vramgui.ui.state import ScenarioState


@pytest.fixture
def win(qtbot):
    cat = load_catalog()   # a private copy: imports and custom cards in a test stay in that test
    s = Scenario(model=cat.model("llama2-7b"), gpu=cat.gpu("rtx4090"), prompt_tokens=4096, output_tokens=256)
    w = MainWindow(ScenarioState(cat, s))
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    qtbot.waitExposed(w)
    return w
