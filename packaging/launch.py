"""Entry script of the frozen app."""

import sys

from vramgui.ui.app import main

if __name__ == "__main__":
    sys.exit(main())
