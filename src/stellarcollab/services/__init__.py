"""Domain services: the rules, shared by REST routes and WebSocket handlers."""
