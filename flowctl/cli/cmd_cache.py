"""``flowctl cache clear|info``: the on-disk caches, the local runs' task results (``.flowctl/cache``
by default) and the code digest cache (``flowctl.sdk._digest_cache``, in the user's cache folder)."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    cache_app = typer.Typer(help="Manage the local run cache and the code digest cache.", no_args_is_help=True)

    @cache_app.command("clear")
    def clear(
        task: Annotated[str | None, typer.Option("--task", help="Only the entries of this task (module.function).")] = None,
    ) -> None:
        """Remove cached task results (all, or those of one task) and, without --task, the code digest cache."""
        from flowctl._config import Config
        from flowctl._local import LocalCache

        cache = LocalCache(Config().cache_dir)
        removed = cache.clear(task)
        typer.echo(f"Removed {removed} cache {_entries(removed)} from {cache.root}")
        if task is None:
            from flowctl.sdk import _digest_cache

            folder = _digest_cache.cache_folder()
            if folder is not None:
                removed = _digest_cache.clear()
                typer.echo(f"Removed {removed} code digest {_entries(removed)} from {folder}")

    @cache_app.command("info")
    def info() -> None:
        """Show where the caches are and how many entries they hold."""
        from flowctl._config import Config
        from flowctl._local import LocalCache
        from flowctl.sdk import _digest_cache

        cache = LocalCache(Config().cache_dir)
        typer.echo(f"task results: {cache.root}: {cache.entries()} entries")
        folder = _digest_cache.cache_folder()
        if folder is None:
            typer.echo(f"code digests: off ({_digest_cache.ENV}=off or no home folder)")
        else:
            typer.echo(f"code digests: {folder}: {_digest_cache.entries()} entries")

    app.add_typer(cache_app, name="cache")


def _entries(count: int) -> str:
    return "entry" if count == 1 else "entries"
