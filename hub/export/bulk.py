"""Python's cycle collector held off while an export reads and writes its rows.

An export makes a few hundred thousand rows of dicts and strings, none of them in a cycle, and the
collector walks every live object again and again while they are made: a third of a 100,000-row
export's time. ``bulk_reading`` holds it off while an export finds its persons (a worklist's rows),
reads and writes them, on the event loop's thread, where exports run: it runs again once no export
is at work, as it was before the first began (one that something else had turned off stays off).
What other requests make meanwhile is collected then; exports that follow each other without a gap
keep it off until the last ends.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

_at_work = 0
_was_enabled = True


@contextlib.contextmanager
def bulk_reading() -> Iterator[None]:
    global _at_work, _was_enabled
    if _at_work == 0:
        _was_enabled = gc.isenabled()
        gc.disable()
    _at_work += 1
    try:
        yield
    finally:
        _at_work -= 1
        if _at_work == 0 and _was_enabled:
            gc.enable()
