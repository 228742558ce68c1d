"""Train the course's two networks and store them: ``python -m cnnviz.train [options]``.

Makes the digits (:mod:`cnnviz.digits`, nothing downloaded), trains the TinyCNN
and the MLP with :func:`cnnviz.core.train_network` (mini-batch SGD with
momentum, seeded), and writes one small file, by default the package's own
``cnnviz/assets/trained.npz`` that :mod:`cnnviz.trained` reads:

* each network's parameters (float32);
* each network's training log: loss and accuracy every ``--log-every`` updates,
  the held-out accuracy at the same steps, and the TinyCNN's kernels at a few
  steps from the random start to the end;
* the held-out accuracy of the stored weights, and ``info`` (JSON): the seeds,
  the hyper-parameters, the data and the versions that made the file.

The same options give the same file (arrays bit for bit with the same NumPy,
OpenBLAS and Pillow builds on the same kind of CPU). ``--check`` retrains and
compares with the file instead of writing it.
"""

from __future__ import annotations

import os

if __name__ == "__main__":  # before NumPy loads: one BLAS thread (faster here, and the same sums everywhere)
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from cnnviz import core, digits
from cnnviz.core.train import NETWORKS

DEFAULT_OUT = Path(__file__).resolve().parent / "assets" / "trained.npz"

#: The options that made ``cnnviz/assets/trained.npz``: ``python -m cnnviz.train`` with no options.
DEFAULTS = {
    "seed": 0,
    "train_size": 10_000,
    "val_size": 1_000,
    "epochs": 3,
    "batch_size": 64,
    "cnn_lr": 0.1,
    "mlp_lr": 0.05,
    "momentum": 0.9,
    "log_every": 15,
    "snapshots": 8,
}

HELP = {
    "seed": "the training digits, the starting weights and the order of the samples (held-out digits: seed + 1)",
    "train_size": "training digits (all four styles of cnnviz.digits)",
    "val_size": "held-out digits, never trained on, whose accuracy is logged",
    "epochs": "passes over the training digits",
    "batch_size": "digits per update",
    "cnn_lr": "the TinyCNN's learning rate",
    "mlp_lr": "the MLP's learning rate",
    "momentum": "SGD's momentum",
    "log_every": "updates between two entries of the log",
    "snapshots": "TinyCNN kernel snapshots, from step 0 to the end",
}

NETWORK_NAMES = {"tiny_cnn": "TinyCNN", "mlp": "MLP"}


def environment() -> dict[str, str]:
    """What the numbers depend on besides the options: the builds that compute and draw them."""
    from PIL import Image, features
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": _blas(),
        "pillow": Image.__version__,
        "freetype": str(features.version("freetype2")),
        "machine": platform.machine(),
        "cpu": _cpu(),
    }


def _cpu() -> str:
    """The CPU's model name (BLAS picks its kernels, so its order of summation, by CPU)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _blas() -> str:
    try:
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{info.get('name', '?')} {info.get('version', '?')}"
    except Exception:  # older NumPy: no dict form
        return "unknown"


def train(seed: int = DEFAULTS["seed"], train_size: int = DEFAULTS["train_size"],
          val_size: int = DEFAULTS["val_size"], epochs: int = DEFAULTS["epochs"],
          batch_size: int = DEFAULTS["batch_size"], cnn_lr: float = DEFAULTS["cnn_lr"],
          mlp_lr: float = DEFAULTS["mlp_lr"], momentum: float = DEFAULTS["momentum"], log_every: int = DEFAULTS["log_every"],
          snapshots: int = DEFAULTS["snapshots"], networks: Sequence[str] = NETWORKS,
          progress=None) -> dict[str, np.ndarray]:
    """Train ``networks`` and return the arrays of the file (see the module's docstring).

    The held-out digits (``val_size`` of them, seed ``seed + 1``) are never trained on.
    ``progress`` (optional) is called with a line of text after each stage.
    """
    say = progress or (lambda line: None)
    t0 = time.perf_counter()
    data = digits.make_digits(train_size, seed=seed)
    val = digits.make_digits(val_size, seed=seed + 1)
    x, vx = data.images / 255.0, val.images / 255.0
    say(f"{train_size:,} training and {val_size:,} held-out digits made in {time.perf_counter() - t0:.1f} s")
    options = {"seed": seed, "train_size": train_size, "val_size": val_size, "epochs": epochs,
               "batch_size": batch_size, "cnn_lr": cnn_lr, "mlp_lr": mlp_lr, "momentum": momentum,
               "log_every": log_every, "snapshots": snapshots}
    out: dict[str, np.ndarray] = {}
    for name in networks:
        t = time.perf_counter()
        lr = cnn_lr if name == "tiny_cnn" else mlp_lr
        run = core.train_network(name, x, data.labels, epochs=epochs, batch_size=batch_size, lr=lr,
                                 momentum=momentum, seed=seed, log_every=log_every, val_images=vx,
                                 val_labels=val.labels, snapshots=snapshots)
        arrays = core.TinyCNNParams._fields if name == "tiny_cnn" else [
            f"{w}{k + 1}" for k in range(len(run.params)) for w in ("W", "b")]
        flat = list(run.params) if name == "tiny_cnn" else [a for pair in run.params for a in pair]
        stored = [a.astype(np.float32) for a in flat]
        for key, value in zip(arrays, stored):
            out[f"{name}.{key}"] = value
        for field in core.TrainingLog._fields:
            value = getattr(run.log, field)
            out[f"{name}.log.{field}"] = value.astype(np.float32) if value.dtype.kind == "f" else value
        params = (core.TinyCNNParams(*stored) if name == "tiny_cnn"
                  else [(stored[k], stored[k + 1]) for k in range(0, len(stored), 2)])
        acc = float((core.classify(name, params, vx).argmax(axis=1) == val.labels).mean())
        out[f"{name}.held_out_accuracy"] = np.float64(acc)
        say(f"{NETWORK_NAMES[name]}: {run.log.steps[-1]} updates in {time.perf_counter() - t:.1f} s, "
            f"last loss {run.log.loss[-1]:.3f}, held-out accuracy {acc:.1%}")
    info = {"options": options, "networks": list(networks), "styles": list(digits.STYLES),
            "augment": {k: list(v) for k, v in digits.AUGMENT.items()},
            "val_seed": seed + 1, "input": "pixel value / 255, 28×28, channels last",
            "command": "python -m cnnviz.train" + "".join(
                f" --{k.replace('_', '-')} {v}" for k, v in options.items() if v != DEFAULTS[k]),
            "environment": environment()}
    out["info"] = np.array(json.dumps(info, ensure_ascii=False, sort_keys=True))
    return out


def compare(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> list[str]:
    """The differences between two files' arrays (``info``'s environment excepted): empty if equal bit for bit."""
    diffs = []
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b:
            diffs.append(f"{key}: only in {'the first' if key in a else 'the second'}")
        elif key == "info":
            ia, ib = (json.loads(str(v[()])) for v in (a[key], b[key]))
            ia.pop("environment", None), ib.pop("environment", None)
            if ia != ib:
                diffs.append("info: different options or data")
        elif a[key].shape != b[key].shape or a[key].dtype != b[key].dtype:
            diffs.append(f"{key}: {a[key].dtype}{a[key].shape} vs {b[key].dtype}{b[key].shape}")
        elif not np.array_equal(a[key], b[key]):
            diff = np.abs(a[key].astype(np.float64) - b[key].astype(np.float64)).max()
            diffs.append(f"{key}: differs (largest difference {diff:.3g})")
    return diffs


def load(path: Path | str) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cnnviz.train",
                                     description="Train the course's TinyCNN and MLP on digits made offline and "
                                                 "store them (weights, training log) for cnnviz.trained.")
    for key, value in DEFAULTS.items():
        parser.add_argument(f"--{key.replace('_', '-')}", type=type(value), default=value,
                            help=f"{HELP[key]} (default {value})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"the file to write (default {DEFAULT_OUT})")
    parser.add_argument("--check", action="store_true",
                        help="retrain and compare with --out instead of writing it (exit 1 if they differ)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    say = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
    t = time.perf_counter()
    try:
        arrays = train(**{k: getattr(args, k) for k in DEFAULTS}, progress=say)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    say(f"trained in {time.perf_counter() - t:.1f} s")
    if args.check:
        diffs = compare(load(args.out), arrays)
        print("\n".join(diffs) if diffs else f"{args.out}: the same, bit for bit")
        return 1 if diffs else 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".part.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, args.out)
    say(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
