"""Reporting between offices: protocol, outbox, HTTP and folder transports, the hub."""
