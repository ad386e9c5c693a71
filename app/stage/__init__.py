"""The stage: the presenter view's data and stream, stage messages, stage links, invites and run sheets."""
