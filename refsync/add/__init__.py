"""The ``add`` and ``import`` use case: put works into a Zotero library without ever creating a
twin, and say for every input what happened and why.

Receives the library as a :class:`LibraryWriter` (the app adapts the mirror and the Zotero
client to it) and the matchers; never builds adapters itself.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from refsync.errors import (
    RefsyncError,
    ZoteroError,
    ZoteroVersionConflictError,
    ZoteroWriteUncertainError,
)
from refsync.hookspecs import Matcher
from refsync.matching.index import MatchSettings
from refsync.matching.library import find_existing
from refsync.model import Reference
from refsync.model.schema import fit_to_schema

__all__ = ["Candidate", "LibraryWriter", "ObjectResult", "Outcome", "add_references"]

ATTEMPTS = 3  # decisions made again after a 412, as the desktop client restarts its sync
Action = Literal["created", "existing", "failed"]


@dataclass(frozen=True)
class Candidate:
    """One input as the user gave it (a DOI, a text, a .bib key) and what it resolved to."""

    input: str
    reference: Reference | None = None
    error: RefsyncError | None = None


@dataclass(frozen=True)
class Outcome:
    """What happened to one input; ``key`` is the Zotero item created or matched."""

    input: str
    action: Action
    key: str | None
    reason: str
    score: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {"input": self.input, "action": self.action, "key": self.key,
                "reason": self.reason, "score": self.score}


@dataclass(frozen=True)
class ObjectResult:
    """The server's verdict on one object of a write."""

    ok: bool
    key: str
    reason: str = ""  # the server's words, for the person reading the outcome
    already_exists: bool = False  # an earlier send of this create landed
    permanent: bool = False  # sending it again cannot help

    @property
    def settled(self) -> bool:
        """The journal may forget the object: it is in the library, or never will be."""
        return self.ok or self.already_exists or self.permanent


class Journal(Protocol):
    """Creates announced before they are sent (see ``refsync.zotero.journal.WriteJournal``):
    whatever is recorded survives a crash until it is settled."""

    def record(self, payloads: Iterable[Mapping[str, Any]]) -> None: ...

    def pending(self) -> list[dict[str, Any]]: ...

    def settle(self, keys: Iterable[str]) -> None: ...


class LibraryWriter(Protocol):
    """The library as the use case needs it: current records, a refresh, and batched writes
    that carry ``If-Unmodified-Since-Version`` and a ``Zotero-Write-Token``."""

    #: the most objects one write may carry (the Web API takes 50)
    batch: int

    def items(self) -> list[Reference]: ...

    def has(self, key: str) -> bool: ...

    def refresh(self) -> None: ...

    def write(self, payloads: Sequence[Mapping[str, Any]]) -> list[ObjectResult]:
        """Write at most :attr:`batch` objects; raises :class:`ZoteroVersionConflictError` if
        the library moved on since it was read."""
        ...


_KEY_CHARS = "23456789ABCDEFGHIJKLMNPQRSTUVWXYZ"  # the dataserver's item-key alphabet


def new_item_key() -> str:
    """A Zotero item key made here, so a create sent twice names the same item (the second
    answers 412 instead of making a twin)."""
    return "".join(secrets.choice(_KEY_CHARS) for _ in range(8))


@dataclass
class _Plan:
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    creates: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    updates: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    repeats: dict[int, int] = field(default_factory=dict)


def add_references(
    candidates: Sequence[Candidate],
    library: LibraryWriter,
    journal: Journal,
    *,
    matchers: Sequence[Matcher] = (),
    match_settings: MatchSettings | None = None,
    collection: str = "",
    tags: Sequence[str] = (),
    dry_run: bool = False,
) -> list[Outcome]:
    """Match every candidate against the library (and the batch) and create only new works.

    Pending writes of an earlier, interrupted run are reconciled first. A work already in the
    library is put into ``collection`` and given ``tags`` instead of being created again. A
    write refused with 412 is decided again on a fresh read; a write whose answer was lost is
    first settled through the journal (what landed is kept, the rest sent again under its
    own keys), then the rest is decided again.

    :returns: one outcome per candidate, in input order.
    """
    if not dry_run:
        _reconcile(library, journal, matchers, match_settings)
    done: dict[int, Outcome] = {}
    repeats: dict[int, int] = {}
    keys: dict[int, str] = {}  # a candidate keeps its item key when it is decided again
    for attempt in range(ATTEMPTS):
        todo = [i for i in range(len(candidates)) if i not in done]
        plan = _decide(candidates, todo, library.items(), matchers, match_settings,
                       collection, tags, keys)
        repeats.update(plan.repeats)
        if dry_run:
            done.update(plan.outcomes)
            break
        try:
            _carry_out(plan, library, journal, done)
        except ZoteroVersionConflictError:
            library.refresh()  # someone wrote meanwhile: look again before writing
        except ZoteroWriteUncertainError:
            if attempt == ATTEMPTS - 1:
                raise
            _reconcile(library, journal, matchers, match_settings)
        else:
            break
    else:
        raise _kept_changing()
    for i, first in sorted(repeats.items()):
        original = done[first]
        done[i] = Outcome(candidates[i].input, "existing" if original.key else original.action,
                          original.key, f"same work as input {first + 1} "
                          f"('{candidates[first].input}'): {original.reason}", original.score)
    return [done[i] for i in range(len(candidates))]


def _reconcile(library: LibraryWriter, journal: Journal, matchers: Sequence[Matcher],
               settings: MatchSettings | None) -> None:
    """Settle what an interrupted run may have sent: creates that landed are forgotten; the
    rest are sent again under their own keys, unless the work reached the library meanwhile
    some other way (a lab member, the desktop), which the matching engine is asked first."""
    pending = journal.pending()
    if not pending:
        return
    for _ in range(ATTEMPTS):
        library.refresh()
        journal.settle(p["key"] for p in pending if library.has(p["key"]))
        unsure = journal.pending()
        found = find_existing([Reference.from_zotero(p) for p in unsure], library.items(),
                              matchers, settings)
        journal.settle(p["key"] for p, existing in zip(unsure, found, strict=True)
                       if existing.duplicate is not None or existing.same_as is not None)
        resend = journal.pending()
        if not resend:  # all had landed, or were found: the library is as refreshed above
            return
        try:
            for start in range(0, len(resend), library.batch):
                results = library.write(resend[start:start + library.batch])
                journal.settle(r.key for r in results if r.settled)
        except ZoteroVersionConflictError:
            continue  # nothing of that batch was written; look again
        library.refresh()
        return
    raise _kept_changing()


def _kept_changing() -> ZoteroError:
    """Every attempt met a write by someone else (412): give up rather than loop."""
    return ZoteroError("the library kept changing while refsync wrote to it",
                       service="zotero", hint="run the command again")


def _decide(candidates: Sequence[Candidate], todo: Sequence[int], records: list[Reference],
            matchers: Sequence[Matcher], settings: MatchSettings | None, collection: str,
            tags: Sequence[str], keys: dict[int, str]) -> _Plan:
    plan = _Plan()
    usable = [i for i in todo if candidates[i].reference is not None]
    for i in todo:
        error = candidates[i].error
        if candidates[i].reference is None:
            plan.outcomes[i] = Outcome(candidates[i].input, "failed", None,
                                       error.message if error else "nothing to add")
    refs = [candidates[i].reference for i in usable]
    found = find_existing([r for r in refs if r is not None], records, matchers, settings)
    for i, existing in zip(usable, found, strict=True):
        if existing.same_as is not None:
            plan.repeats[i] = usable[existing.same_as]
        elif (duplicate := existing.duplicate) and duplicate[0].key == keys.get(i):
            plan.outcomes[i] = Outcome(candidates[i].input, "created", keys[i],
                                       "new; the answer to its write was lost, and the library "
                                       "shows it landed")
        elif duplicate:
            ref, decision = duplicate
            plan.outcomes[i] = Outcome(candidates[i].input, "existing", ref.key,
                                       decision.reason, round(decision.score, 3))
            if update := _membership(ref, collection, tags):
                plan.updates.append((i, update))
        else:
            payload = _new_item(existing.candidate, collection, tags,
                                keys.setdefault(i, new_item_key()))
            related = ", ".join(f"{r.key} ({d.reason})" for r, d in existing.matches)
            reason = f"new; related to {related}" if related else "new; no match in the library"
            plan.outcomes[i] = Outcome(candidates[i].input, "created", None, reason)
            plan.creates.append((i, payload))
    return plan


def _carry_out(plan: _Plan, library: LibraryWriter, journal: Journal,
               done: dict[int, Outcome]) -> None:
    """Send creates then updates, batch by batch; outcomes of finished batches are kept even
    when a later batch hits a 412 and the rest is decided again.

    The journal holds exactly the creates that may be in the library unconfirmed: a batch is
    recorded just before it is sent, and forgotten when the server refuses the whole request
    with 412 (the dataserver checks If-Unmodified-Since-Version before writing anything)."""
    for i, outcome in plan.outcomes.items():
        if outcome.action == "failed":
            done[i] = outcome
    for writes, creating in ((plan.creates, True), (plan.updates, False)):
        for start in range(0, len(writes), library.batch):
            batch = writes[start:start + library.batch]
            if creating:
                journal.record(payload for _, payload in batch)
            try:
                results = library.write([payload for _, payload in batch])
            except ZoteroVersionConflictError:
                if creating:
                    journal.settle(payload["key"] for _, payload in batch)
                raise
            for (i, payload), result in zip(batch, results, strict=True):
                outcome = plan.outcomes[i]
                if result.ok or (creating and result.already_exists):
                    done[i] = Outcome(outcome.input, outcome.action, payload["key"],
                                      outcome.reason, outcome.score)
                else:
                    done[i] = Outcome(outcome.input, "failed", outcome.key,
                                      f"Zotero refused it ({result.reason})")
            if creating:
                journal.settle(r.key for r in results if r.settled)
    for i, outcome in plan.outcomes.items():
        done.setdefault(i, outcome)  # existing works that needed no update


def _membership(ref: Reference, collection: str, tags: Sequence[str]) -> dict[str, Any] | None:
    collections = sorted({*ref.collections, collection} - {""})
    all_tags = sorted({*ref.tags, *tags})
    if collections == sorted(ref.collections) and all_tags == sorted(ref.tags):
        return None
    return {"key": ref.key, "version": ref.version, "collections": collections,
            "tags": [{"tag": t} for t in all_tags]}


def _new_item(ref: Reference, collection: str, tags: Sequence[str],
              key: str) -> dict[str, Any]:
    data = fit_to_schema(ref).to_zotero()
    data.update(key=key, version=0,
                collections=[collection] if collection else [],
                tags=[{"tag": t} for t in sorted({*ref.tags, *tags})])
    return data
