"""HTTP and WebSocket routes, one module per area (docs/api.md)."""
