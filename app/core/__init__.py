"""Cross-cutting infrastructure: the pieces every other part of app/ may use (today the shared
vocabulary; config, errors, logs and metrics join it when the layout moves).

It imports nothing else from app/ (tests/test_project.py enforces it), so anything may import it
without making a cycle.
"""
