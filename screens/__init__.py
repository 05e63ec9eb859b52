"""The Textual workstation: screens, widgets, key bindings (the only package importing Textual)."""
