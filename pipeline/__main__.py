import sys

try:
    from pipeline.cli import main
except KeyboardInterrupt:  # Ctrl-C while the command line is still loading: nothing started
    print("\ninterrupted: nothing was started; the warehouse is as it was", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
