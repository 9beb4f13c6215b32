"""The unattended-sync screens: the Schedule dialog and the main window's banner."""
