"""PyTorch CPU reference for bench/train.ts: the same MLP, CNN and 1D-conv classifier on synthetic data.

Usage: torch_reference.py '<json>' where the JSON is bench/train.ts's config: per model {n, batch,
epochs, warmupEpochs}, and "models" (the models to run in this process: train.ts runs one per process so
that the peak RSS printed belongs to that model alone, like its run-ours.ts children).

Thread configurations, measured in this order: "default" (what a user gets: PyTorch's default OpenMP
thread count and OpenBLAS's default, untouched), then for t in {1, all cores} "t" = OpenMP t AND OpenBLAS
t, so that "t threads" means t cores. Debian's python3-torch does its GEMMs in OpenBLAS (pthread build),
whose thread count torch.set_num_threads does not change: at "1 thread" a product would otherwise run on
every core, and at t > 1 OpenMP and OpenBLAS threads oversubscribe the cores.

Prints one JSON line: torch version, the thread counts, "blas" (how OpenBLAS's threads were set, or why
they could not be: then "t" is OpenMP t only), "configs", "rates" {model: {config: samples/s}}, "epochRates"
{model: {config: [per epoch]}} and peakRssMiB (ru_maxrss of this process).
"""
import ctypes
import json
import os
import resource
import sys
import time

import torch
from torch import nn

torch.manual_seed(0)
cfg = json.loads(sys.argv[1])


def openblas():
    """The OpenBLAS already loaded by torch (libblas.so.3 of Debian's openblas-pthread is a thin wrapper
    over libopenblas.so.0, so dlopen answers the same library), or (None, why not)."""
    why = []
    for name in ("libopenblas.so.0", "libopenblas.so"):
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_get_num_threads.restype = ctypes.c_int
            lib.openblas_set_num_threads.argtypes = [ctypes.c_int]
            return lib, name
        except (OSError, AttributeError) as error:
            why.append(str(error))
    return None, "; ".join(why)


blas, blas_note = openblas()
default_omp = torch.get_num_threads()
default_blas = blas.openblas_get_num_threads() if blas else None
cores = os.cpu_count() or 1
configs = [{"name": "default", "omp": default_omp, "blas": default_blas}] + [
    {"name": str(t), "omp": t, "blas": t if blas else default_blas} for t in sorted({1, cores})
]
if blas and cores > 1:
    # Every core for OpenMP's element-wise and convolution work, one OpenBLAS thread: no oversubscription.
    configs.append({"name": f"OpenMP {cores} + OpenBLAS 1", "omp": cores, "blas": 1})
results = {
    "torch": torch.__version__,
    "defaultThreads": default_omp,
    "defaultBlasThreads": default_blas,
    "blas": {"settable": blas is not None, "note": blas_note},
    "configs": configs,
    "rates": {},
    "epochRates": {},
}


def bench(model, x, y, batch, epochs, warmup):
    """Samples/s of Adam training: the mean over epochs after the first `warmup` (the same rule as ours)."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    n = x.shape[0]
    rates = []
    for _ in range(epochs):
        perm = torch.randperm(n)
        t0 = time.perf_counter()
        for i in range(0, n, batch):
            idx = perm[i : i + batch]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        rates.append(n / (time.perf_counter() - t0))
    steady = rates[warmup:] if len(rates) > warmup else rates[-1:]
    return sum(steady) / len(steady), rates


def mlp():
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
    )


def conv1d():
    # Edge Impulse's 1D-conv classifier: 650 features as 50 steps x 13 channels (channels first here),
    # conv1d 8 and 16 with 'same' padding, max pooling 2 ('same': ceil), dense head.
    return nn.Sequential(
        nn.Conv1d(13, 8, 3, padding=1), nn.ReLU(), nn.MaxPool1d(2, ceil_mode=True),
        nn.Conv1d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool1d(2, ceil_mode=True),
        nn.Flatten(), nn.Linear(16 * 13, 10),
    )


def data(name, n):
    """Only this model's data is made, so the process's peak RSS is this model's."""
    if name == "conv1d":
        x = torch.rand(n, 50, 13).transpose(1, 2).contiguous()
    else:
        x = torch.rand(n, 784) if name == "mlp" else torch.rand(n, 1, 28, 28)
    return x, torch.randint(0, 10, (n,))


MODELS = {"mlp": mlp, "cnn": cnn, "conv1d": conv1d}
for name in cfg.get("models", ["mlp", "cnn", "conv1d"]):
    c = cfg[name]
    x, y = data(name, c["n"])
    results["rates"][name], results["epochRates"][name] = {}, {}
    for conf in configs:
        # "default" comes first, before anything is set; later configurations set both counts.
        if conf["name"] != "default":
            torch.set_num_threads(conf["omp"])
            if blas:
                blas.openblas_set_num_threads(conf["blas"])
        rate, rates = bench(MODELS[name](), x, y, c["batch"], c["epochs"], c.get("warmupEpochs", 1))
        results["rates"][name][conf["name"]] = rate
        results["epochRates"][name][conf["name"]] = rates
results["peakRssMiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(results))
