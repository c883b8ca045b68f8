"""``flowctl k8s render``: the Kubernetes objects flowctl manages, as YAML (for review or kubectl)."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    k8s_app = typer.Typer(help="Kubernetes: render the objects flowctl creates in a cluster.", no_args_is_help=True)

    @k8s_app.command("render")
    def render(
        project: Annotated[str | None, typer.Option("--project", help="Render this project's namespace objects.")] = None,
        domain: Annotated[
            list[str] | None, typer.Option("--domain", help="Domain(s) of --project (default: all default domains).")
        ] = None,
        controller: Annotated[
            bool, typer.Option("--controller", help="Render the controller Deployment, ServiceAccount and RBAC.")
        ] = False,
        namespace: Annotated[str, typer.Option("--namespace", help="Namespace of the controller.")] = "flowctl-system",
        image: Annotated[
            str | None, typer.Option("--image", help="Controller image (default: provider.kubernetes.default_image).")
        ] = None,
        registry_secret: Annotated[
            str, typer.Option("--registry-secret", help="Secret holding the registry URL (key `url`).")
        ] = "flowctl-registry",
        blob_store: Annotated[
            str | None, typer.Option("--blob-store", help="Blob store URL the controller and pods use.")
        ] = None,
    ) -> None:
        """Print YAML: the Namespace, ResourceQuota, ServiceAccount (and LimitRange) of each project-domain,
        and/or the controller's Deployment with least-privilege RBAC."""
        import yaml

        from flowctl._config import Config
        from flowctl._errors import InputError
        from flowctl.providers.kubernetes._namespaces import controller_objects, desired_namespace_objects
        from flowctl.providers.kubernetes._settings import KubernetesSettings
        from flowctl.spec import DEFAULT_DOMAINS

        if project is None and not controller:
            raise InputError(
                "Nothing to render",
                detail="Pass --project NAME (and optionally --domain) for namespace objects, and/or --controller.",
            )
        if domain and project is None:
            raise InputError("--domain needs --project", detail="Example: flowctl k8s render --project ml --domain development")
        config = Config()
        settings = KubernetesSettings.from_config(config)
        objects = []
        if project is not None:
            for name in domain or DEFAULT_DOMAINS:
                objects += desired_namespace_objects(project, name, settings)
        if controller:
            store = blob_store or config.get("blob_store.url") or "s3://my-bucket/flowctl"
            if "://" not in store:
                store = "s3://my-bucket/flowctl"  # a local folder is not reachable from pods
            objects += controller_objects(settings, namespace=namespace, image=image, registry_secret=registry_secret,
                                          blob_store=store)
        typer.echo(yaml.safe_dump_all(objects, sort_keys=False, explicit_start=True), nl=False)

    app.add_typer(k8s_app, name="k8s")
