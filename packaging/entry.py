"""The frozen app's entry point (PyInstaller runs this file as __main__).

A separate file, not canvas_wizard/__main__.py, so PyInstaller does not put the
package's own folder on sys.path, where cli.py or app.py could pass for
top-level modules.
"""

import sys

from canvas_wizard.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
