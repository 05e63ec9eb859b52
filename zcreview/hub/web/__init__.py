"""The hub over HTTP: routes, request reading, the status table, the Starlette app."""
