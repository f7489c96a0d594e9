"""Defences at the edge: allowed origins, request throttling, response headers and body caps."""
