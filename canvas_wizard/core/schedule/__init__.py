"""Unattended syncing: the operating system's own scheduler runs `canvas-wizard sync`,
a pause stops it writing, and the history tells the admin how those runs went."""
