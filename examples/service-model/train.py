"""Train the demo land-cover model served by `gisbox serve`
(GISBOX_MODEL=gisbox.runtime.service.landcover:predict).

Generates labelled 4-band spectra (blue, green, red, near-infrared reflectance in [0, 1])
for water, vegetation, bare soil and built-up surfaces with seeded noise, fits a
scikit-learn LogisticRegression on the reflectances plus NDVI, prints its accuracy on a
held-out set, and writes the coefficients to src/gisbox/runtime/service/landcover_model.json.

    .venv/bin/pip install scikit-learn && .venv/bin/python examples/service-model/train.py
"""

from __future__ import annotations

import json

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from gisbox.runtime.atomic import write_text_atomic
from gisbox.runtime.service.landcover import CLASSES, MODEL_FILE, features

# Typical mean reflectances (blue, green, red, NIR) of each class.
MEANS = {
    "water": (0.06, 0.05, 0.03, 0.02),
    "vegetation": (0.04, 0.08, 0.05, 0.45),
    "bare": (0.15, 0.20, 0.26, 0.32),
    "built": (0.18, 0.19, 0.20, 0.22),
}


def spectra(n_per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for label, name in enumerate(CLASSES):
        mean = np.asarray(MEANS[name])
        xs.append(np.clip(rng.normal(mean, 0.02, size=(n_per_class, 4)), 0, 1))
        ys.append(np.full(n_per_class, label))
    return np.vstack(xs), np.concatenate(ys)


def main() -> None:
    bands, labels = spectra(2000, seed=42)
    x = features(bands.T)
    mean, scale = x.mean(0), x.std(0)
    x_train, x_test, y_train, y_test = train_test_split(
        (x - mean) / scale, labels, test_size=0.25, random_state=0, stratify=labels
    )
    model = LogisticRegression(max_iter=1000).fit(x_train, y_train)
    print(f"held-out accuracy: {model.score(x_test, y_test):.4f}")
    write_text_atomic(
        MODEL_FILE,
        json.dumps(
            {
                "classes": list(CLASSES),
                "coef": model.coef_.tolist(),
                "intercept": model.intercept_.tolist(),
                "mean": mean.tolist(),
                "scale": scale.tolist(),
                "trained_with": "scikit-learn LogisticRegression, examples/service-model/train.py",
            },
            indent=1,
        )
        + "\n",
    )
    print(f"wrote {MODEL_FILE}")


if __name__ == "__main__":
    main()
