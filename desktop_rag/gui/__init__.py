"""The Qt front: thin, and it talks to the core only through workers."""
