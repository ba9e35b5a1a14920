"""The office's paperwork (jindu doc): which documents, their fields, their templates, their making."""
