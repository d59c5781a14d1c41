"""The demo model: a land-cover classifier for 4-band (blue, green, red, near-infrared) imagery.

Trained with scikit-learn (LogisticRegression) on generated spectra by
examples/service-model/train.py, which writes its coefficients to
`landcover_model.json` beside this module; here it runs with NumPy alone, so serving
needs no scikit-learn. Classes: 0 water, 1 vegetation, 2 bare soil, 3 built-up.
Use it with GISBOX_MODEL=gisbox.runtime.service.landcover:predict.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

CLASSES = ("water", "vegetation", "bare", "built")
MODEL_FILE = Path(__file__).with_name("landcover_model.json")


@lru_cache(maxsize=1)
def _weights() -> tuple[Any, Any, Any, Any]:
    data = json.loads(MODEL_FILE.read_text())
    return (
        np.asarray(data["coef"]),
        np.asarray(data["intercept"]),
        np.asarray(data["mean"]),
        np.asarray(data["scale"]),
    )


def features(bands: Any) -> Any:
    """Per-pixel features: the 4 reflectances and NDVI, shape (n, 5)."""
    b = np.asarray(bands, dtype="float64").reshape(4, -1)
    nir, red = b[3], b[2]
    ndvi = np.divide(nir - red, nir + red, out=np.zeros_like(nir), where=(nir + red) != 0)
    return np.vstack([b, ndvi]).T


def predict(array: Any, transform: Any = None, crs: Any = None) -> Any:
    """Class index per pixel for an array of shape (4, height, width)."""
    if array.ndim != 3 or array.shape[0] != 4:
        raise ValueError(f"the landcover model needs 4 bands (B, G, R, NIR); got {array.shape}")
    coef, intercept, mean, scale = _weights()
    x = (features(array) - mean) / scale
    return np.argmax(x @ coef.T + intercept, axis=1).reshape(array.shape[1:]).astype("uint8")
