"""The Sync tab: the roster source, the preview of a plan, approval, progress and results."""
