"""Entry script of the frozen app."""

import importlib.util
import sys
import types


def stand_in_for_qt_opengl() -> None:
    """The frozen app leaves out PySide6's QtOpenGL and QtOpenGLWidgets (``vramgui.spec``).
    pyqtgraph imports both when it starts, but touches them only for an OpenGL viewport (its
    ``useOpenGL`` option, which vramgui never sets) or a ``RawImageGLWidget``: it defines
    subclasses of ``QOpenGLWidget`` and asks ``isinstance(widget, GraphicsViewGLWidget)``
    before painting a curve.  So where the real modules are missing, this registers stand-ins:
    a ``QOpenGLWidget`` that no widget is an instance of and that refuses to be created, and a
    ``QtOpenGL`` whose every name is missing.  With the real modules present it does nothing.
    Qt itself is loaded only when pyqtgraph asks for the class (after the app's own check that
    the platform's libraries are there)."""
    import PySide6

    if importlib.util.find_spec("PySide6.QtOpenGLWidgets") is not None:
        return
    why = "OpenGL support is left out of this build of vramgui (PySide6.QtOpenGL is not bundled)"

    def opengl_names(name):
        raise AttributeError(f"PySide6.QtOpenGL.{name}: {why}")

    def widget_names(name):
        if name != "QOpenGLWidget":
            raise AttributeError(f"PySide6.QtOpenGLWidgets.{name}: {why}")
        from PySide6 import QtWidgets

        class QOpenGLWidget(QtWidgets.QWidget):
            def __init__(self, *args, **kwargs):
                raise RuntimeError(why)

        widgets.QOpenGLWidget = QOpenGLWidget
        return QOpenGLWidget

    widgets = types.ModuleType("PySide6.QtOpenGLWidgets", why)
    widgets.__getattr__ = widget_names
    opengl = types.ModuleType("PySide6.QtOpenGL", why)
    opengl.__getattr__ = opengl_names
    for module in (widgets, opengl):
        sys.modules[module.__name__] = module
        setattr(PySide6, module.__name__.rpartition(".")[2], module)


if __name__ == "__main__":
    stand_in_for_qt_opengl()
    from vramgui.ui.app import main

    sys.exit(main())
