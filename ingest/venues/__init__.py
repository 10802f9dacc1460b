"""One sub-package per venue: what to call and how to page. Shared HTTP concerns live in ingest/."""
