"""Reports, one package: the attendance report (`attendance`: plain data; `attendance_render`: CSV or
HTML; `attendance_export`: schedule + database -> text) and the post-event pack built on it (figures,
SVG charts, HTML/CSV/JSON rendering, PDF printing; `service`: schedule + database -> bytes)."""
