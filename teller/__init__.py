"""Teller: a terminal workstation for bank branches over a double-entry ledger."""

import os

__version__ = "0.1.0"

# Textual paints a screen at most TEXTUAL_FPS times a second and holds a change until the next frame: at
# its default of 60 a keystroke's search results waited up to 17 ms for theirs (docs/benchmarks.md). At
# 120 the wait is half that; a setting of TEXTUAL_FPS in the environment wins. Set here, before anything
# imports Textual, which reads it once.
FRAMES_PER_SECOND = 120
os.environ.setdefault("TEXTUAL_FPS", str(FRAMES_PER_SECOND))
