"""Intake: read application packages, validate them and record them in the office store."""
