"""Cross-cutting infrastructure: the pieces every other part of app/ may use (settings, errors and
how they become HTTP answers, logging, metrics, the text rule, the shared vocabulary).

It imports nothing else from app/ (tests/test_project.py enforces it), so anything may import it
without making a cycle.
"""
