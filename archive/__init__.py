"""Archive output: Hexo post files and the SQLite index."""
