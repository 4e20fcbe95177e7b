"""Security helpers: paths built from requests, request rates, stored credentials."""
