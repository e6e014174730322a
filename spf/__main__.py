import sys

from spf.main import main

sys.exit(main())
