"""`gisbox run moran`: global Moran's I with seeded permutation inference."""

from __future__ import annotations

import argparse
import functools

from gisbox.runtime.workloads.verbs import Verb
from gisbox.runtime.workloads.verbs.autocorr_verb import (
    add_autocorr_arguments,
    add_layer_arguments,
    run_autocorr,
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_autocorr_arguments(p)
    add_layer_arguments(p)


VERB = Verb(
    name="moran",
    help="global Moran's I with seeded permutation inference",
    order=10,
    add_arguments=add_arguments,
    run=functools.partial(run_autocorr, "moran"),
)
