"""The ``refsync`` command: the only module that prints, prompts or exits.

Exit codes: 0 success; 1 an input or a service failed; 2 bad usage or configuration;
3 ``pull --check`` found a file out of date; 4 a hand edit conflicts with a Zotero change;
130 interrupted.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from refsync.app import Refsync
from refsync.config import Target, render_project_file
from refsync.errors import ConfigError, RefsyncError
from refsync.model.doi import extract_dois
from refsync.plugins import make_plugin_manager
from refsync.util.atomic import write_atomic
from refsync.util.charmap import shown_controls
from refsync.util.gc import cyclic_gc_paused

__all__ = ["main"]

EXIT_FAILED, EXIT_USAGE, EXIT_OUT_OF_DATE, EXIT_CONFLICT = 1, 2, 3, 4


def _error_line(error: RefsyncError, subject: str | None = None) -> str:
    prefix = f"{subject}: " if subject else ""
    hint = f" ({error.hint})" if error.hint else ""
    return shown_controls(f"{prefix}{error.message}{hint}")


class RefsyncGroup(click.Group):
    """The one bridge from refsync's errors to the terminal: one line, the right exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RefsyncError as exc:
            if ctx.find_root().params.get("debug"):
                raise
            click.echo(f"Error: {_error_line(exc)}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted; nothing was left half-written.", err=True)
            ctx.exit(130)


@click.group(cls=RefsyncGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", type=click.Path(path_type=Path, dir_okay=False),
              help="Use this refsync.toml instead of the nearest one.")
@click.option("--mailto", help="Contact address for Crossref's polite pool.")
@click.option("-v", "--verbose", is_flag=True, help="Log what refsync does.")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.version_option(package_name="refsync")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, mailto: str | None, verbose: bool,
        debug: bool) -> None:
    """Keep a LaTeX manuscript's bibliography in step with Zotero."""
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO if verbose
                        else logging.WARNING, format="refsync: %(message)s", stream=sys.stderr)
    ctx.ensure_object(dict).update(project=config, overrides={"crossref.mailto": mailto})


def _app(ctx: click.Context, **overrides: Any) -> Refsync:
    root = ctx.find_root().obj
    return Refsync.from_config(project=root["project"], plugins=root.get("plugins"),
                               overrides={**root["overrides"], **overrides})


@contextmanager
def _progress(total: int, label: str) -> Iterator[Any]:
    """A bar on stderr at a terminal for long runs; silent when piped or for a handful."""
    if total < 5 or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


def _texts(inputs: Sequence[str], from_file: Any) -> list[str]:
    """What the user gave to look up: arguments, '-' for standard input, a --from file."""
    texts = [sys.stdin.read() if item == "-" else item for item in inputs]
    if from_file is not None:
        texts.append(from_file.read())
    if not texts:
        raise click.UsageError("give DOIs as arguments, '-' for standard input, or --from FILE")
    return texts


def _check_output(output: str | None) -> None:
    """``-o ''`` is a mistake, not a request for the default file."""
    if output is not None and not output.strip():
        raise ConfigError("--output is empty", hint="name the file to write, e.g. refs.bib")


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)


@cli.command()
@click.argument("inputs", nargs=-1)
@click.option("--from", "from_file", type=click.File("r", encoding="utf-8"),
              help="Read DOIs or a reference list from FILE ('-' for standard input).")
@click.option("-f", "--format", "fmt", help="bibtex, biblatex, csljson or json.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write to FILE (atomically) instead of standard output.")
@click.option("--refresh", is_flag=True, help="Ignore the cache and ask Crossref again.")
@click.pass_context
def resolve(ctx: click.Context, inputs: Sequence[str], from_file: Any, fmt: str | None,
            output: Path | None, refresh: bool) -> None:
    """Turn DOIs, in any form, into clean metadata.

    INPUTS are DOIs (10.1038/nrc3239, doi:…, https://doi.org/…) or '-' to read standard input;
    free text such as a pasted reference list yields the DOIs it contains.

    \b
    Example:
      refsync resolve 10.1038/nrc3239 https://doi.org/10.1084/jem.2.1.1 -o refs.bib
    """
    texts = _texts(inputs, from_file)
    app = _app(ctx)
    exporter = app.registry.exporter(fmt or app.settings.format)  # fail before any request
    total = sum(len(extract_dois(text)) or 1 for text in texts)
    with _progress(total, "Resolving") as advance:
        results = app.resolve(texts, refresh=refresh, progress=advance)
    failed = [r for r in results if r.error is not None]
    for r in failed:
        assert r.error is not None
        click.echo(f"Error: {_error_line(r.error, repr(r.input))}", err=True)
    refs = [r.reference for r in results if r.reference is not None]
    if refs:
        _emit(app.render(refs, exporter.name), output)
    if failed:
        ctx.exit(EXIT_FAILED)


@cli.command()
@click.option("--stdin", "from_stdin", is_flag=True,
              help="Read the key from standard input instead of asking (for scripts).")
@click.pass_context
def login(ctx: click.Context, from_stdin: bool) -> None:
    """Check a Zotero API key and store it in the system keyring.

    Create a key at https://www.zotero.org/settings/keys. Where no keyring exists (a headless
    machine, CI), set ZOTERO_API_KEY instead.

    \b
    Example:
      refsync login
    """
    app = _app(ctx)
    if from_stdin:
        key = sys.stdin.readline().strip()
    else:
        key = click.prompt("Zotero API key", hide_input=True, err=True).strip()
    if not key:
        raise click.UsageError("no key given")
    library, backend = app.login(key)
    click.echo(f"Key checked and stored in the keyring ({backend}); library {library}.",
               err=True)


@cli.command()
@click.pass_context
def plugins(ctx: click.Context) -> None:
    """List the plugins (name, distribution, version) and what each brings."""
    for info in _app(ctx).plugins():
        click.echo(f"{info.name}  ({info.distribution} {info.version})")
        for provided in info.provides:
            click.echo(f"  {provided}")


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the console script; plugins may add commands here."""
    try:
        pm = make_plugin_manager()
    except RefsyncError as exc:  # no command can run without its plugins
        click.echo(f"Error: {_error_line(exc)}", err=True)
        sys.exit(exc.exit_code)
    pm.hook.register_commands(cli=cli)
    with cyclic_gc_paused():  # refsync owns this process: see refsync.util.gc
        cli.main(args=list(argv) if argv is not None else None, prog_name="refsync",
                 obj={"plugins": pm})


@cli.command()
@click.option("--library", help="Zotero library, 'user:ID' or 'group:ID'.")
@click.option("--collection", help="Collection name, key or Parent/Child path.")
@click.option("--tag", "tags", multiple=True, help="Tag filter (repeat for AND).")
@click.option("-o", "--output", default=None, help="The .bib file to keep up to date.")
@click.option("-f", "--format", "fmt", default=None, help="bibtex, biblatex or csljson.")
@click.option("--snapshot", default="", help="Read this Zotero JSON snapshot instead.")
@click.option("--force", is_flag=True, help="Overwrite an existing refsync.toml.")
def init(library: str | None, collection: str | None, tags: Sequence[str], output: str | None,
         fmt: str | None, snapshot: str, force: bool) -> None:
    """Write a commented refsync.toml in this folder, from flags or by asking.

    \b
    Example:
      refsync init --library group:123456 --collection neuro-immune -o references.bib
    """
    _check_output(output)
    path = Path("refsync.toml")
    if path.exists() and not force:
        raise click.UsageError("refsync.toml exists here; use --force to replace it")
    interactive = sys.stdin.isatty() and not any((library, collection, tags, output, snapshot))
    if interactive:
        library = click.prompt("Zotero library (user:ID or group:ID)", default="")
        collection = click.prompt("Collection (blank for the whole library)", default="")
        tag = click.prompt("Tag (blank for none)", default="")
        tags = [tag] if tag else []
        output = click.prompt("Output file", default="references.bib")
        fmt = click.prompt("Format", default="bibtex",
                           type=click.Choice(["bibtex", "biblatex", "csljson"]))
    text = render_project_file(library=library or "", collection=collection or "", tags=tags,
                               output=output or "references.bib", fmt=fmt or "bibtex",
                               snapshot=snapshot)
    write_atomic(path, text)
    click.echo(f"Wrote {path}; run 'refsync pull' to write {output or 'references.bib'}.",
               err=True)


@cli.command()
@click.option("--collection", help="Pull this collection (name, key or Parent/Child path).")
@click.option("--subcollections", is_flag=True, help="Include the collection's subcollections.")
@click.option("--tag", "tags", multiple=True,
              help="Tag filter; repeat for AND, 'a || b' for OR, '-a' for NOT.")
@click.option("-o", "--output", help="The file to write (with --collection or --tag).")
@click.option("-f", "--format", "fmt", help="bibtex, biblatex or csljson.")
@click.option("--library", help="'user:ID' or 'group:ID' instead of the configured one.")
@click.option("--local", is_flag=True, default=None,
              help="Read Zotero desktop's local API (http://127.0.0.1:23119/api).")
@click.option("--snapshot", type=click.Path(path_type=Path, dir_okay=False),
              help="Read a Zotero JSON snapshot instead of the API.")
@click.option("--force", is_flag=True, help="Overwrite hand edits with Zotero's version.")
@click.option("--check", is_flag=True, help="Write nothing; exit 3 when a file is out of date.")
@click.option("--dry-run", is_flag=True, help="Print what would change as a diff; write nothing.")
@click.pass_context
def pull(ctx: click.Context, collection: str | None, subcollections: bool, tags: Sequence[str],
         output: str | None, fmt: str | None, library: str | None, local: bool | None,
         snapshot: Path | None, force: bool, check: bool, dry_run: bool) -> None:
    """Bring the manuscript's .bib files up to date from Zotero.

    With no options, pulls every [[target]] in refsync.toml. With --collection and/or --tag,
    pulls that selection into --output (default references.bib) without a refsync.toml.

    \b
    Examples:
      refsync pull
      refsync pull --collection neuro-immune --output references.bib
      refsync pull --check            # in CI: exit 3 when a file is out of date
    """
    _check_output(output)
    app = _app(ctx, **{"zotero.library": library, "zotero.local": local})
    targets = None
    if collection or tags or output or snapshot:
        targets = [Target(output=output or "references.bib", collection=collection or "",
                          subcollections=subcollections, tags=tuple(tags), format=fmt or "",
                          snapshot=str(snapshot or ""))]
    elif fmt:
        targets = [replace(t, format=fmt) for t in app.settings.targets]
    pulled = app.plan_pull(targets, force=force)
    if dry_run:
        for plan in pulled.stale:
            click.echo(plan.diff(), nl=False)
    elif check:
        for plan in pulled.stale:
            click.echo(f"{plan.path} is out of date: {plan.summary()}", err=True)
        if pulled.stale:
            ctx.exit(EXIT_OUT_OF_DATE)
    else:
        pulled.apply()
    for plan in pulled.plans:
        click.echo(f"{plan.target.label}: {plan.summary()}"
                   + ("" if plan.changed else " (unchanged, not rewritten)"), err=True)


def _library_options(func: Any) -> Any:
    """The options every command that writes to or reads a whole library shares."""
    for option in reversed([
        click.option("--library", help="'user:ID' or 'group:ID' instead of the configured one."),
        click.option("--collection", default="", help="Collection (name, key or path)."),
        click.option("--tag", "tags", multiple=True, help="Tag (repeat for several)."),
        click.option("--dry-run", is_flag=True, help="Decide and report, but write nothing."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts."),
    ]):
        func = option(func)
    return func


def _report(outcomes: Sequence[Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([o.as_json() for o in outcomes], indent=1, ensure_ascii=False))
        return
    for o in outcomes:
        score = f" {o.score:.2f}" if o.score is not None else ""
        click.echo(f"{o.action:8} {o.key or '-':8}  {o.input}  ({o.reason}{score})")


@cli.command()
@click.argument("inputs", nargs=-1)
@click.option("--from", "from_file", type=click.File("r", encoding="utf-8"),
              help="Read DOIs or a reference list from FILE ('-' for standard input).")
@_library_options
@click.pass_context
def add(ctx: click.Context, inputs: Sequence[str], from_file: Any, library: str | None,
        collection: str, tags: Sequence[str], dry_run: bool, as_json: bool) -> None:
    """Add works by DOI to Zotero, unless they are already there.

    A work already in the library (same DOI, ISBN, PMID, arXiv id, or same title, authors and
    year) is not created again: it is filed into --collection and --tag instead. Every input
    gets one line: created, existing or failed, with the item key and the reason.

    \b
    Example:
      refsync add 10.1038/nrc3239 --collection neuro-immune --tag to-read
    """
    texts = _texts(inputs, from_file)
    app = _app(ctx, **{"zotero.library": library})
    candidates = app.candidates_from_dois(texts)
    outcomes = app.add(candidates, collection=collection, tags=tags, dry_run=dry_run)
    _report(outcomes, as_json)
    if any(o.action == "failed" for o in outcomes):
        ctx.exit(EXIT_FAILED)


@cli.command("import")
@click.argument("bibfile", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--enrich", is_flag=True, help="Complete entries that have a DOI from Crossref.")
@_library_options
@click.pass_context
def import_(ctx: click.Context, bibfile: Path, enrich: bool, library: str | None,
            collection: str, tags: Sequence[str], dry_run: bool, as_json: bool) -> None:
    """Import a .bib file into Zotero, creating only what is not there yet.

    Entries are matched against the library and against each other (a file that lists one
    paper twice creates one item). Entries that cannot be parsed are reported with their line
    numbers; the others are still imported. Each entry's key is kept in Extra as
    'Citation Key: …', so `refsync pull` gives it back unchanged.

    \b
    Example:
      refsync import coauthor.bib --collection neuro-immune --dry-run
    """
    app = _app(ctx, **{"zotero.library": library})
    candidates = app.candidates_from_bib(bibfile, enrich=enrich)
    outcomes = app.add(candidates, collection=collection, tags=tags, dry_run=dry_run)
    _report(outcomes, as_json)
    if any(o.action == "failed" for o in outcomes):
        ctx.exit(EXIT_FAILED)


@cli.command()
@click.option("--library", help="'user:ID' or 'group:ID' instead of the configured one.")
@click.option("--collection", default="", help="Only this collection (name, key or path).")
@click.option("--tag", "tags", multiple=True, help="Only items with this tag (repeat for AND).")
@click.option("--snapshot", type=click.Path(path_type=Path, dir_okay=False),
              help="Read a Zotero JSON snapshot instead of the API.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_context
def dedupe(ctx: click.Context, library: str | None, collection: str, tags: Sequence[str],
           snapshot: Path | None, as_json: bool) -> None:
    """Report the duplicates already inside a library, with the reason for each group.

    \b
    Example:
      refsync dedupe --collection neuro-immune
      refsync dedupe --snapshot library.json
    """
    app = _app(ctx, **{"zotero.library": library})
    groups = app.duplicates(Target(collection=collection, subcollections=True, tags=tuple(tags),
                                   library=library or "", snapshot=str(snapshot or "")))
    if as_json:
        click.echo(json.dumps({"groups": [g.as_json() for g in groups]}, indent=1))
        return
    for group in groups:
        titles = "; ".join(f"{r.key} {r.title[:60]!r}" for r in group.items)
        click.echo(f"{group.reason}: {titles}")
    click.echo(f"{len(groups)} duplicate groups.", err=True)
