import sys

from mapping.cli import main

sys.exit(main())
