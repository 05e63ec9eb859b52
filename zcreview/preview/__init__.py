"""Attachment previews: PDF and images rendered to terminal cells. No Textual."""
