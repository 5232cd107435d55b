"""Readers for the formats beyond PDF, text and Word: slides, spreadsheets, OpenDocument, RTF
and e-mail. Each turns a file (or an attachment's bytes) into DocInfo and ParsedPages, as the
loaders do; they run in the parser child like them."""
