"""The post-event pack: figures (pure), SVG charts, HTML/CSV/JSON rendering and PDF printing."""
