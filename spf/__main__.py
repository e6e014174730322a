"""`python -m spf ...` is kept as an alias of the command line, `python -m pipeline ...` (the
command line sits above every layer, so the core does not import it)."""

import runpy

runpy.run_module("pipeline", run_name="__main__", alter_sys=True)
