"""jindu: the terminal tool of a street office's 禁毒专干."""

__version__ = "0.1.0"
