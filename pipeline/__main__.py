import os
import sys

try:
    from pipeline.cli import main
except KeyboardInterrupt:  # Ctrl-C while the command line is still loading: nothing started
    print("\ninterrupted: nothing was started; the warehouse is as it was", file=sys.stderr)
    sys.exit(130)


def release_semaphores() -> None:
    """Unlinks the named semaphores this process created, as a normal exit would.

    dbt's manifest and adapter locks are multiprocessing semaphores; their finalizers run at
    interpreter exit, which `os._exit` skips, and the resource tracker would then print a
    "leaked semaphore objects" warning after the run's last message."""
    from multiprocessing import synchronize, util

    for finalizer in list(util._finalizer_registry.values()):
        if getattr(finalizer, "_callback", None) is synchronize.SemLock._cleanup:
            finalizer()


code = main()
if code == 130:
    # Interrupted, and already cleaned up (the build area removed, the lock released, the
    # message printed). dbt's worker threads may still be winding down the cancelled models;
    # waiting for them at interpreter exit can end the process by the signal itself (exit
    # -2), so the run's own exit code is given now.
    release_semaphores()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
sys.exit(code)
