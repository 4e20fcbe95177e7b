"""The viewer's logic: what routers call. Synchronous unless named otherwise."""
