import os
import sys

try:
    from pipeline.cli import main
except KeyboardInterrupt:  # Ctrl-C while the command line is still loading: nothing started
    print("\ninterrupted: nothing was started; the warehouse is as it was", file=sys.stderr)
    sys.exit(130)

code = main()
if code == 130:
    # Interrupted, and already cleaned up (the build area removed, the lock released, the
    # message printed). dbt's worker threads may still be winding down the cancelled models;
    # waiting for them at interpreter exit can end the process by the signal itself (exit
    # -2), so the run's own exit code is given now.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
sys.exit(code)
