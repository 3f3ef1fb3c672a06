"""vramgui: will this LLM run on this GPU, and how fast?"""

__version__ = "0.1.0"
