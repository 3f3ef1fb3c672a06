"""Optional tools that ship with vramgui (they import their own heavy dependencies)."""
