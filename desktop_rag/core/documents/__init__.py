"""Documents: a file becomes pages of text with positions, and pages become chunks.

Owns the loaders (PyMuPDF, plain text, DOCX; slides, spreadsheets, OpenDocument, RTF and
e-mail in formats/), page layout, chunking and each chunk's context label, where a passage
is (locations) and the parts inside files (parts), the parser child process (the parse lane),
and the user guide PDF.
May import: the shared leaves at the top of `desktop_rag.core` only (errors, tasks, config,
faults, fsutil, textnorm). The bottom layer: everything else may import it."""
