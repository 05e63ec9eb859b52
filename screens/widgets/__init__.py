"""Reusable widgets of the workstation, each carrying its own DEFAULT_CSS."""
