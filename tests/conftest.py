import os
import tempfile

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# never read or write the real user's presets from the tests
os.environ["VRAMGUI_USER_DIR"] = tempfile.mkdtemp(prefix="vramgui-test-user-")
os.environ["VRAMGUI_SETTINGS"] = os.path.join(os.environ["VRAMGUI_USER_DIR"], "settings.ini")

from vramgui.core import Scenario, default_catalog  # noqa: E402


@pytest.fixture(scope="session")
def cat():
    return default_catalog()


@pytest.fixture
def scenario(cat):
    def make(model: str, gpu: str, **kw) -> Scenario:
        return Scenario(model=cat.model(model), gpu=cat.gpu(gpu), **kw)
    return make


@pytest.fixture(scope="session")
def validated():
    """``vramgui-cli validate PATH --json`` as a user runs it, its output parsed (exit status 0 asserted)."""
    import contextlib
    import io
    import json

    from vramgui.cli import main

    def run(path) -> dict:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            assert main(["validate", str(path), "--json"]) == 0
        return json.loads(buf.getvalue())
    return run
