"""Browser tests: the web UI in headless Chromium against a real viewer."""
