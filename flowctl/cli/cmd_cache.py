"""``flowctl cache clear|info``: the on-disk cache of local runs (``.flowctl/cache`` by default)."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    cache_app = typer.Typer(help="Manage the local run cache.", no_args_is_help=True)

    @cache_app.command("clear")
    def clear(
        task: Annotated[str | None, typer.Option("--task", help="Only the entries of this task (module.function).")] = None,
    ) -> None:
        """Remove cached task results (all, or those of one task)."""
        from flowctl._config import Config
        from flowctl._local import LocalCache

        cache = LocalCache(Config().cache_dir)
        removed = cache.clear(task)
        typer.echo(f"Removed {removed} cache entr{'y' if removed == 1 else 'ies'} from {cache.root}")

    @cache_app.command("info")
    def info() -> None:
        """Show where the cache is and how many entries it holds."""
        from flowctl._config import Config
        from flowctl._local import LocalCache

        cache = LocalCache(Config().cache_dir)
        typer.echo(f"{cache.root}: {cache.entries()} entries")

    app.add_typer(cache_app, name="cache")
