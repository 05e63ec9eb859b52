"""Demo office: realistic, deterministic applications with scanned attachments (no Textual)."""
