"""Pure domain: application model, catalogue, checks, workflow. No Textual, no SQL, no I/O."""
