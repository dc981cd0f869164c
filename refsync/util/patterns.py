"""Regular-expression pieces that keep patterns linear on hostile text."""

__all__ = ["RUN_START"]

#: Put first in a pattern that may start with a run of whitespace: it refuses to start inside
#: the run. Tried from every space of a long run, such a pattern would scan the rest of the run
#: from each (quadratic); a match inside a run can only succeed if one does from the run's first
#: space, which is tried first, so refusing the later spaces changes no result.
RUN_START = r"(?!(?<=\s)\s)"
