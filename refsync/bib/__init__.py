"""BibTeX as text: reading .bib files into records, and the LaTeX that writing them needs.

Pure: no network, no files (the caller hands in the text), nothing from the plugins.
"""
