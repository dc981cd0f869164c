"""The vocabulary: bibliographic records in Zotero's own schema, their dates and identifiers.

Pure: imports nothing from refsync but ``errors``, and no third-party library.
"""

from refsync.model.dates import PartialDate, parse_date
from refsync.model.reference import Collection, Creator, Reference, extra_lines

__all__ = ["Collection", "Creator", "PartialDate", "Reference", "extra_lines", "parse_date"]
