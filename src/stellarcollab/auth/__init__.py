"""Authentication: password hashing, access tokens, WebSocket tickets, request dependencies."""
