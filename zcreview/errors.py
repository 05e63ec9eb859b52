"""Errors a user can fix; commands print them without a traceback."""


class UserError(Exception):
    """A problem the user can fix; printed without a traceback."""
