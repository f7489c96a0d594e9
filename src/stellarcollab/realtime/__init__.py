"""The realtime layer: WebSocket protocol, connections, fan-out, presence, recovery."""
