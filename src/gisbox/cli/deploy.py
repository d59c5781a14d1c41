"""`gisbox k8s` and `gisbox cluster up|status|down|run`: where the image runs beyond one
container. Thin commands over `gisbox.deploy`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gisbox.cli.options import engine_option, project_option
from gisbox.runtime.errors import ClusterError

if TYPE_CHECKING:
    from gisbox.engines.base import ContainerEngine
    from gisbox.project.project import Project

name_option = click.option(
    "--name", default="gisbox", show_default=True, help="The cluster's name (several may run)."
)


def _loaded(project: Path, engine: str | None) -> tuple[Project, ContainerEngine]:
    from gisbox.engines.registry import select_engine
    from gisbox.project.project import Project

    return Project.load(project), select_engine(engine)


def _bokeh(loaded: Project) -> bool:
    return "bokeh" in loaded.lock.versions()


@click.group()
def cluster() -> None:
    """A Dask cluster of the project's image on this machine (scheduler + workers)."""


@cluster.command()
@project_option
@engine_option
@name_option
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Threads per worker.")  # fmt: skip
@click.option("--memory-limit", default="2g", show_default=True,
              help="Per worker; Dask restarts a worker that outgrows it.")  # fmt: skip
@click.option("--data", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Mounted at /data in every container.")  # fmt: skip
@click.option("--user", default=None, metavar="UID:GID",
              help="Run the containers as this user (default: the image's).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the addresses as JSON.")
def up(
    project: Path,
    engine: str | None,
    name: str,
    workers: int,
    threads: int,
    memory_limit: str,
    data: Path,
    user: str | None,
    as_json: bool,
) -> None:
    """Start a scheduler and WORKERS workers from the built image; print the addresses."""
    from gisbox.cli.output import progress
    from gisbox.deploy.cluster import up
    from gisbox.deploy.containers import ClusterOptions, parse_memory
    from gisbox.deploy.k8s import require_distributed
    from gisbox.runtime.errors import UsageError

    loaded, chosen = _loaded(project, engine)
    spec = loaded.spec
    require_distributed(frozenset(loaded.lock.versions()))
    if not chosen.exists(spec.reference):
        raise UsageError(f"{spec.reference} is not built", hint="run `gisbox build` first")
    opts = ClusterOptions(
        name=name, workers=workers, threads=threads, memory_limit=parse_memory(memory_limit),
        data=data, user=user,
    )  # fmt: skip
    with progress(not as_json) as shown:
        info = up(chosen, spec, spec.reference, opts, shown.on_step, dashboard=_bokeh(loaded))
    if as_json:
        click.echo(json.dumps(info, indent=2, sort_keys=True))
        return
    click.echo(f"cluster {name}: {len(info['workers'])} worker(s), fingerprint {info['identity']}")
    click.echo(
        f"  scheduler   {info['scheduler']}  (in its network: {info['scheduler_in_network']})"
    )
    click.echo(f"  dashboard   {info['dashboard']}")
    click.echo(f"  data        {info['data']} -> /data")
    example = "chunked ndvi /data/in.tif --out /data/out.tif"
    click.echo(f"  run         gisbox cluster run --name {name} -- {example}")


@cluster.command()
@project_option
@engine_option
@name_option
@click.option("--json", "as_json", is_flag=True, help="Print the state as JSON.")
def status(project: Path, engine: str | None, name: str, as_json: bool) -> None:
    """The cluster's containers and workers; exit 7 unless every worker is in and equal."""
    from gisbox.deploy.cluster import status as cluster_status

    loaded, chosen = _loaded(project, engine)
    state = cluster_status(chosen, loaded.spec, name, dashboard=_bokeh(loaded))
    if as_json:
        click.echo(json.dumps(state, indent=2, sort_keys=True))
    else:
        click.echo(f"cluster {name}: {'whole' if state['whole'] else 'NOT WHOLE'}; "
                   f"image {state['image']}; fingerprint {state['identity']}")  # fmt: skip
        click.echo(f"  scheduler   {state['scheduler']}   dashboard {state['dashboard']}")
        for cname, c in sorted(state["containers"].items()):
            health = f", {c['health']}" if c["health"] else ""
            click.echo(f"  {c['role']:<9}   {cname}: {c['status']}{health}")
        for wname, w in sorted(state["workers"].items()):
            same = "same" if w["identity"] == state["identity"] else "DIFFERENT"
            click.echo(f"  worker      {wname}: {w['status']}, {w['nthreads']} thread(s), "
                       f"{w['memory_limit'] // 2**20} MiB, fingerprint {same}")  # fmt: skip
        for problem in state["problems"]:
            click.echo(f"  problem     {problem}")
    if not state["whole"]:
        sys.exit(ClusterError.exit_code)


@cluster.command()
@project_option
@engine_option
@name_option
def down(project: Path, engine: str | None, name: str) -> None:
    """Remove the cluster's containers and network."""
    from gisbox.deploy.cluster import down as cluster_down

    _loaded_project, chosen = _loaded(project, engine)
    removed = cluster_down(chosen, name)
    click.echo(f"removed {len(removed)} container(s) of cluster {name}" if removed
               else f"no containers of cluster {name}; its network is gone too")  # fmt: skip


@cluster.command(
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False}
)
@project_option
@engine_option
@name_option
@click.argument("workload_args", nargs=-1, type=click.UNPROCESSED, required=True)
def run(project: Path, engine: str | None, name: str, workload_args: tuple[str, ...]) -> None:
    """`gisbox run WORKLOAD ARGS` from a client container on the cluster (paths under /data)."""
    from gisbox.deploy.cluster import run_client

    loaded, chosen = _loaded(project, engine)
    sys.exit(run_client(chosen, loaded.spec, name, workload_args, progress=sys.stderr.isatty()))


@click.command()
@project_option
@engine_option
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the manifests (one YAML file per kind).",
)
@click.option(
    "--image",
    default=None,
    metavar="REPO@sha256:…",
    help="The image by digest (default: the built image's digest from `gisbox push`).",
)
@click.option("--replicas", default=2, show_default=True, help="Service replicas.")
@click.option("--workers", default=2, show_default=True, help="Dask workers.")
@click.option(
    "--run",
    "run_args",
    default=None,
    metavar="'WORKLOAD ARGS'",
    help="The Job's `gisbox run` arguments, e.g. 'moran /data/parcels.gpkg --column price' "
    "(default: the Job runs `gisbox check --workloads`).",
)
def k8s(
    project: Path,
    engine: str | None,
    out: Path,
    image: str | None,
    replicas: int,
    workers: int,
    run_args: str | None,
) -> None:
    """Kubernetes manifests for the image: a Deployment (service) or a DaskCluster + Job."""
    import shlex

    from gisbox.deploy.k8s import KUBERNETES_VERSION, manifests, write_manifests
    from gisbox.engines.registry import select_engine
    from gisbox.image.state import pushed_digest
    from gisbox.project.project import Project

    loaded = Project.load(project)
    spec = loaded.spec
    if image is None:
        image = pushed_digest(select_engine(engine), spec.reference)
    locked = frozenset(loaded.lock.versions())
    job = ("run", *shlex.split(run_args)) if run_args else ("check", "--workloads")
    docs = manifests(spec, image, locked=locked, replicas=replicas, workers=workers, job=job)
    for path in write_manifests(out, docs):
        click.echo(f"wrote {path}")
    click.echo(f"for Kubernetes {KUBERNETES_VERSION}; image {image}")
