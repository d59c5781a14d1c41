"""`gisbox run gistar`: local Getis-Ord Gi* hot and cold spots."""

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
    p.add_argument("--alpha", type=float, default=0.05, help="significance for hot/cold")
    add_layer_arguments(p)


VERB = Verb(
    name="gistar",
    help="local Getis-Ord Gi* hot and cold spots",
    order=20,
    add_arguments=add_arguments,
    run=functools.partial(run_autocorr, "gistar"),
)
