"""The Pulumi program's entry point: the program itself is ``components/program.py``.

``fleetc init`` writes this same file into a new fleet repository, where
``components`` and ``fleetc`` come from the installed package; here they come
from this checkout.
"""

import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent
if (PROJECT / "components").is_dir() and str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from components.program import run  # noqa: E402

run(PROJECT)
