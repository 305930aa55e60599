"""Slash commands and event handlers: thin layers that parse, call a service and render."""
