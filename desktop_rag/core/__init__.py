"""Everything that works without Qt: libraries, ingestion, search and answers."""
