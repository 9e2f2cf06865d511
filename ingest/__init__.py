"""Stage 1: load article files, clean them, pull out metadata, cut them into chunks."""
