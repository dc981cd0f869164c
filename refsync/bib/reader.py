"""Read a .bib file into Zotero-schema records, entry by entry, so one bad entry costs only itself.

The file is split into entries here (brace- and quote-aware, ``@`` anywhere) and each entry is
parsed with bibtexparser 1.4; ``@string`` macros from anywhere in the file apply to every entry,
and ``crossref`` children inherit their parent's missing fields as BibTeX and biber do. Types
come from the writer's own table (:data:`refsync.bib.vocabulary.ENTRY_TYPES`) read backwards.
Pure: takes text, returns records; no I/O, no terminal.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

from bibtexparser.bibdatabase import UndefinedString  # type: ignore[import-untyped]
from bibtexparser.bparser import BibTexParser  # type: ignore[import-untyped]

from refsync.bib.entry import to_reference
from refsync.bib.fastpath import common_fields
from refsync.bib.limits import (
    MAX_CROSSREF_DEPTH,
    MAX_ENTRY_CHARS,
    MAX_EXPANSION,
    MAX_MACRO_TOTAL,
    macro_chars,
)
from refsync.bib.safety import PARSABLE_DEPTH, braces_nest_deeper
from refsync.bib.syntax import between_values
from refsync.bib.vocabulary import NON_ENTRIES
from refsync.errors import BibParseError
from refsync.model import Reference
from refsync.util.charmap import without_controls

__all__ = ["BibImport", "ImportedEntry", "parse_bib"]


@dataclass(frozen=True)
class ImportedEntry:
    """One entry read from the file: its citation key, first line and record."""

    key: str
    line: int
    reference: Reference


@dataclass(frozen=True)
class BibImport:
    """Entries in file order, and one error per entry that could not be read."""

    entries: list[ImportedEntry] = field(default_factory=list)
    errors: list[BibParseError] = field(default_factory=list)


@dataclass(frozen=True)
class _Chunk:
    kind: str
    line: int
    text: str
    key: str
    problem: str = ""


_START = re.compile(r"@\s*([A-Za-z][\w-]*)\s*([{(])")
# The key is optional, and with the key written "[^…]*" the two "\s*" around it could split a
# run of whitespace every way (quadratic); "(?:key\s*)?" reads the same texts, unambiguously.
_NEXT_ENTRY = re.compile(r"\n[ \t]*@\s*[A-Za-z][\w-]*\s*[{(]\s*(?:[^\s,={}()]+\s*)?,")
_KEY = re.compile(r"\s*([^\s,={}()\"]+)\s*(?:,|(?=[})]))")
_LOOSE_KEY = re.compile(r"\s*([^\s,={}()\"]+)")
# "[,\s]*" after the key, not "\s*[,\s]*": the same texts, without trying every split of a
# run of whitespace between the two (quadratic on an entry with 100k spaces after its key)
_NO_FIELDS = re.compile(r"@\s*[\w-]+\s*[{(]\s*[^\s,]+[,\s]*[})]")
_TOKENS = re.compile(r'[{}()"]|\n[ \t]*@')


def _split(text: str) -> Iterator[_Chunk]:
    """Cut the file into ``@type{…}`` chunks; text between entries is ignored, as BibTeX does.

    An entry whose braces never balance ends where a line opens the next ``@type{key,``, so
    the entries after it are still read (biber and BBT recover the same way).
    """
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    pos = 0
    # where the block of the last "@comment" that never closed was searched to: the next ones
    # before it are words too, without searching again (a run of them was quadratic)
    open_comments_until = -1
    while m := _START.search(text, pos):
        # bibtexparser takes letters and digits only (Mendeley writes @book_section, @web_page)
        kind, opener = re.sub(r"[\W_]", "", m.group(1).lower()), m.group(2)
        line = bisect.bisect_right(line_starts, m.start())
        if text[line_starts[line - 1]:m.start()].lstrip().startswith("%"):
            pos = m.end()  # commented out: BibTeX would read it, but nobody means it
            continue
        if kind == "comment" and m.start() < open_comments_until:
            pos = m.end()
            continue
        end, problem = _find_end(text, m.end(), opener)
        key_match = _KEY.match(text, m.end())
        key = key_match.group(1) if key_match and kind not in NON_ENTRIES else ""
        if key or kind in NON_ENTRIES or re.match(r"\s*,", text[m.end():end]):
            pass  # Mendeley writes "@article{," and BibTeX accepts it: an entry without a key
        elif loose := _LOOSE_KEY.match(text, m.end()):
            key, problem = loose.group(1), problem or "no comma follows the citation key"
        else:
            problem = problem or "it has neither a citation key nor fields"
        if kind == "comment" and problem:  # "@comment" without a block is just a word
            pos, open_comments_until = m.end(), end
            continue
        raw = text[m.end():end]
        if not problem and len(raw) > MAX_ENTRY_CHARS:
            problem = (f"it is {len(raw):,} characters long, more than refsync reads in one "
                       f"entry ({MAX_ENTRY_CHARS:,})")
        if not problem and braces_nest_deeper(raw):  # the parsers recurse once per level
            problem = f"its braces nest more than {PARSABLE_DEPTH} deep"
        body = _squeeze_layout(raw)
        yield _Chunk(kind, line, f"@{kind}{opener}{body}", key, problem)
        pos = end


_LAYOUT = re.compile(r'[{}"]|\s{2,}')


def _squeeze_layout(body: str) -> str:
    """The entry's body with each run of whitespace *between* its parts (around the key, names,
    ``=``, ``#`` and commas) made one space; field values are left exactly as written.

    bibtexparser's key (pyparsing ``SkipTo(',')``) rescans the whitespace after the key from
    each of its characters, quadratic in the run's length. Outside values BibTeX
    reads any run of whitespace as a separator, so one space reads the same. Lines are not
    counted from this text (an entry's line comes from the file), so dropping newlines is safe.
    Braces and quotes are followed as :func:`_find_end` follows them, which cut this body.
    """
    pieces: list[str] = []
    done = 0
    for m in between_values(_LAYOUT, body):
        pieces += (body[done:m.start()], " ")
        done = m.end()
    return "".join(pieces) + body[done:] if pieces else body


def _find_end(text: str, start: int, opener: str) -> tuple[int, str]:
    """(index after the closing delimiter, "" ) or (where recovery resumes, the problem)."""
    depth, quoted = 0, False
    for m in _TOKENS.finditer(text, start):
        token = m.group()
        if token == "{":
            depth += 1
        elif token == "}":
            if depth == 0 and opener == "{":
                return m.end(), ""
            depth -= 1
            if depth < 0:
                return m.end(), "a '}' closes a brace that was never opened"
        elif token == '"' and depth == 0:
            quoted = not quoted
        elif token == ")" and opener == "(" and depth == 0 and not quoted:
            return m.end(), ""
        elif token.startswith("\n") and _NEXT_ENTRY.match(text, m.start()):
            return m.start() + 1, "its braces do not balance before the next entry starts"
    return len(text), "its braces do not balance before the end of the file"


def _parser() -> BibTexParser:
    parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False,
                          interpolate_strings=True)
    parser.expect_multiple_parse = True  # one parser for all entries: building one costs 5 ms
    return parser


def _read_fields(parser: BibTexParser, chunk: _Chunk) -> dict[str, str] | None:
    """The entry's fields (lower-case names, ``ID`` and ``ENTRYTYPE``), or None if unreadable.

    An undefined macro reads as its own name (BBT does the same; BibTeX would leave it empty
    with a warning), so a missing ``@string`` costs a word, not the entry. Field names
    bibtexparser rejects, such as biblatex's data annotations (``author+an``), are renamed
    for the parse and given back afterwards.
    """
    text = chunk.text
    if not chunk.key:  # bibtexparser needs one; the entry gets no Citation Key line
        text = text.replace(",", f"{_NO_KEY},", 1)
    common = common_fields(text, parser.bib_database.strings)
    if common is not None:  # most entries: without pyparsing, the same fields (fastpath)
        return common | {"ENTRYTYPE": chunk.kind, "ID": chunk.key}
    fields = _parse_one(parser, text)
    if fields is None and _ODD_NAME.search(chunk.text):
        renamed: dict[str, str] = {}

        def rename(m: re.Match[str]) -> str:
            renamed[f"refsyncfield{len(renamed)}"] = m.group(2).lower()
            return f"{m.group(1)}refsyncfield{len(renamed) - 1}{m.group(3)}"

        fields = _parse_one(parser, _ODD_NAME.sub(rename, text))
        fields = fields and {renamed.get(k, k): v for k, v in fields.items()}
    if fields is None and _NO_FIELDS.fullmatch(chunk.text):  # legal; bibtexparser rejects it
        return {"ID": chunk.key, "ENTRYTYPE": chunk.kind}
    return fields and fields | {"ID": chunk.key}


_NO_KEY = "refsync-entry-without-key"


_ODD_NAME = re.compile(r"([,{(]\s*)([A-Za-z][\w.-]*[+:][\w.:+-]*)(\s*=)")


def _parse_one(parser: BibTexParser, text: str) -> dict[str, str] | None:
    for _ in range(100):
        parser.bib_database.entries.clear()
        try:
            parser.parse(text, partial=True)
            break
        except UndefinedString as exc:
            name = str(exc.args[0]) if exc.args else ""
            parser.bib_database.strings[name] = name
    entries = parser.bib_database.entries
    return dict(entries[0]) if entries else None


def parse_bib(text: str, source: str) -> BibImport:
    """Parse BibTeX/BibLaTeX ``text`` into Zotero-schema records, entry by entry.

    :param source: the file name used in error messages (``source:line``).
    :returns: the readable entries in file order and a :class:`BibParseError` for each entry
        that could not be read, naming ``source:line``, the key when known, and a hint.
    """
    chunks = list(_split(without_controls(text.lstrip("\ufeff"))))  # NUL, ESC reach nothing
    parser = _parser()
    macros: dict[str, str] = parser.bib_database.strings
    macro_total = 0  # an upper bound: what each @string could expand to, summed
    for i, chunk in enumerate(chunks):  # macros apply wherever they are defined: read them first
        if chunk.kind != "string" or (chunk := _within_limits(chunk, macros)).problem:
            chunks[i] = chunk
            continue
        macro_total += len(chunk.text) + _macro_chars(chunk, macros)
        if macro_total > MAX_MACRO_TOTAL:
            chunks[i] = replace(chunk, problem="the file's macros expand to more than "
                                               f"{MAX_MACRO_TOTAL:,} characters together")
            continue
        _parse_one(parser, chunk.text)  # one built from an undefined macro reads its name
    result = BibImport()
    raw: list[tuple[_Chunk, dict[str, str]]] = []
    for chunk in chunks:
        if chunk.kind in NON_ENTRIES:
            if chunk.problem:
                result.errors.append(_error(source, chunk))
            continue
        chunk = _within_limits(chunk, macros)
        fields = None if chunk.problem else _read_fields(parser, chunk)
        if fields is None:
            result.errors.append(_error(source, chunk))
        else:
            raw.append((chunk, fields))
    by_key = {f["ID"].lower(): f for _, f in raw if f["ID"]}
    for chunk, fields in raw:
        try:
            merged = _inherit(fields, by_key)
        except _ChainTooDeepError:
            result.errors.append(_error(source, replace(
                chunk, problem=f"its crossref chain is more than {MAX_CROSSREF_DEPTH} deep")))
            continue
        result.entries.append(ImportedEntry(fields["ID"], chunk.line,
                                            to_reference(fields["ID"], merged)))
    return result


def _within_limits(chunk: _Chunk, macros: Mapping[str, str]) -> _Chunk:
    """``chunk``, with a problem if its macros would expand it past the limit."""
    if chunk.problem:
        return chunk
    added = _macro_chars(chunk, macros)
    if added <= MAX_EXPANSION:
        return chunk
    return replace(chunk, problem=f"its macros would add {added:,} characters, more than "
                                  f"refsync expands in one entry or macro ({MAX_EXPANSION:,})")


def _error(source: str, chunk: _Chunk) -> BibParseError:
    where = f"{source}:{chunk.line}"
    if chunk.kind in NON_ENTRIES:
        return BibParseError(f"{where}: a '@{chunk.kind}' block cannot be read: {chunk.problem}.",
                             hint="check its braces and quotes", line=chunk.line)
    reason = chunk.problem or "its fields cannot be read"
    what = f"entry '{chunk.key}'" if chunk.key else f"a '@{chunk.kind}' entry"
    return BibParseError(
        f"{where}: {what} cannot be read: {reason}.",
        hint="check for a missing comma, '=', quote or closing brace in this entry",
        line=chunk.line, key=chunk.key,
    )


# biber's default inheritance (biblatex manual §B.1): a parent's title names the book or
# proceedings a part appears in; keys that identify the parent itself are never inherited.
_AS_CONTAINER = {"title": "booktitle", "subtitle": "booksubtitle", "titleaddon": "booktitleaddon"}
_PARTS = {"inbook", "incollection", "inproceedings", "conference", "inreference", "bookinbook",
          "suppbook", "suppcollection"}
_NOT_INHERITED = {"ID", "ENTRYTYPE", "crossref", "ids", "shorttitle", "label", "sortkey",
                  "xref", "xdata", "entryset"}


def _macro_chars(chunk: _Chunk, macros: Mapping[str, str]) -> int:
    return macro_chars(chunk.text[len(chunk.kind) + 2:], macros)  # after "@kind{"


class _ChainTooDeepError(Exception):
    """An entry's ``crossref`` parents go on past :data:`MAX_CROSSREF_DEPTH`."""


def _inherit(fields: dict[str, str], by_key: Mapping[str, dict[str, str]]) -> dict[str, str]:
    """``fields`` plus what its ``crossref`` parents have and it lacks, nearest parent first;
    each parent first takes from its own (a cycle ends the chain where it closes)."""
    chain, seen = [fields], {fields["ID"].lower()}
    while (parent := by_key.get(chain[-1].get("crossref", "").strip().lower())) is not None:
        if parent["ID"].lower() in seen:
            break
        if len(chain) > MAX_CROSSREF_DEPTH:
            raise _ChainTooDeepError
        chain.append(parent)
        seen.add(parent["ID"].lower())
    merged = chain.pop()
    while chain:
        child = chain.pop()
        merged = _take_from_parent(child, merged)
    return merged


def _take_from_parent(fields: dict[str, str], parent: Mapping[str, str]) -> dict[str, str]:
    merged = dict(fields)
    for name, value in parent.items():
        if name in _NOT_INHERITED:
            continue
        if fields["ENTRYTYPE"] in _PARTS and name in _AS_CONTAINER:
            name = _AS_CONTAINER[name]
        merged.setdefault(name, value)
    return merged
