import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from vramgui.core import Scenario, default_catalog  # noqa: E402


@pytest.fixture(scope="session")
def cat():
    return default_catalog()


@pytest.fixture
def scenario(cat):
    def make(model: str, gpu: str, **kw) -> Scenario:
        return Scenario(model=cat.model(model), gpu=cat.gpu(gpu), **kw)
    return make
