"""The host console and the public agenda: pages, static files and the public read-only API."""
