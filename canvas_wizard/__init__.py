"""Canvas Sync Wizard: connect a school's Cloudwork accounts to Canvas LMS."""

__version__ = "0.1.0"
APP_NAME = "canvas-wizard"
APP_TITLE = "Canvas Sync Wizard"
