"""`python -m jiaoguan.sim`: the live simulation process that `jiaoguan demo` starts.

A separate entry module, so that `jiaoguan.sim.live` is imported once under its own name and the
scenarios registered into its SCENARIOS are the ones the runner sees.
"""

from __future__ import annotations

import sys

from jiaoguan.sim.live import main

sys.exit(main())
