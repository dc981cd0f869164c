"""Which items a pull target takes: collection (by name, key or path, optionally with its
subcollections), tag expressions in the Zotero API's own syntax, and item types to leave out.

Pure: works on records and collection rows that any library view provides.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence

from refsync.config import Target
from refsync.errors import NotFoundError
from refsync.model import Collection, Reference
from refsync.model.schema import NOT_REFERENCES

__all__ = ["collection_keys", "select_items"]


def select_items(
    target: Target, items: Iterable[Reference], collections: Sequence[Collection]
) -> list[Reference]:
    """The live items a target takes, in no particular order.

    :raises NotFoundError: for an unknown collection or tag, listing the closest names.
    """
    everything = [r for r in items if not r.deleted and r.item_type not in NOT_REFERENCES]
    live = everything
    if target.exclude_types:
        excluded = set(target.exclude_types)
        live = [r for r in live if r.item_type not in excluded]
    if target.collection:
        wanted = collection_keys(target.collection, collections, target.subcollections)
        live = [r for r in live if wanted.intersection(r.collections)]
    if target.tags:
        _check_tags(target.tags, everything)
        live = [r for r in live if all(_holds(expr, set(r.tags)) for expr in target.tags)]
    return live


def collection_keys(spec: str, rows: Sequence[Collection], deep: bool = False) -> set[str]:
    """The key of the collection ``spec`` names (by name, key or path), and with ``deep`` the
    keys of all collections below it.

    :raises NotFoundError: for an unknown or ambiguous name, listing the closest names.
    """
    by_key = {row.key: row for row in rows}
    paths = {_path(row, by_key): row.key for row in rows}
    matches = (
        [spec] if spec in by_key
        else [paths[spec]] if spec in paths
        else [row.key for row in rows if row.name == spec]
        or [row.key for row in rows if row.name.casefold() == spec.casefold()]
    )
    if not matches:
        raise NotFoundError(
            f"no collection '{spec}' in the library" + _closest(spec, [*paths, *by_key]),
            hint="name a collection by its name, its key or its path like Parent/Child",
        )
    if len(matches) > 1:
        options = ", ".join(sorted(_path(by_key[k], by_key) for k in matches))
        raise NotFoundError(
            f"collection name '{spec}' is ambiguous ({options})",
            hint="use its path or its key instead",
        )
    keys = set(matches)
    if deep:
        children: dict[str, list[str]] = {}
        for row in rows:
            children.setdefault(row.parent, []).append(row.key)
        stack = list(keys)
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in keys:
                    keys.add(child)
                    stack.append(child)
    return keys


def _path(row: Collection, by_key: Mapping[str, Collection]) -> str:
    parts, seen = [row.name], {row.key}
    while row.parent in by_key and row.parent not in seen:
        row = by_key[row.parent]
        seen.add(row.key)
        parts.append(row.name)
    return "/".join(reversed(parts))


def _holds(expression: str, tags: set[str]) -> bool:
    """One Zotero tag filter: ``a || b`` holds when either does; ``-a`` when ``a`` is absent."""
    return any(
        (alt[1:] not in tags) if alt.startswith("-") else (alt in tags)
        for alt in (part.strip() for part in expression.split(" || "))
    )


def _check_tags(expressions: Sequence[str], items: Iterable[Reference]) -> None:
    known = {t for r in items for t in r.tags}
    for expression in expressions:
        for alt in (part.strip() for part in expression.split(" || ")):
            name = alt[1:] if alt.startswith("-") else alt
            if name not in known and not alt.startswith("-"):
                raise NotFoundError(
                    f"no item carries the tag '{name}'" + _closest(name, sorted(known)),
                    hint="tags are case-sensitive; check the spelling in Zotero",
                )


def _closest(name: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(options), n=3, cutoff=0.5)
    if not close:
        lowered = [o for o in options if name.casefold() in o.casefold()]
        close = lowered[:3]
    return f" (closest: {', '.join(repr(c) for c in close)})" if close else ""
