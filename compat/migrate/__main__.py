"""``python -m compat.migrate SRC.lua [-o OUT.py]``."""
import sys

from compat.migrate.cli import main

sys.exit(main())
