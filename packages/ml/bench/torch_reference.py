"""PyTorch CPU reference for bench/train.ts: the same MLP, CNN and 1D-conv classifier, synthetic data, samples/s as JSON."""
import json
import os
import resource
import sys
import time

import torch
from torch import nn

torch.manual_seed(0)
cfg = json.loads(sys.argv[1])
results = {"defaultThreads": torch.get_num_threads(), "torch": torch.__version__}


def bench(name, model, x, y, batch, epochs):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    n = x.shape[0]
    rates = []
    for epoch in range(epochs):
        perm = torch.randperm(n)
        t0 = time.perf_counter()
        for i in range(0, n, batch):
            idx = perm[i : i + batch]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        rates.append(n / (time.perf_counter() - t0))
    # first epoch is warm-up when there are several
    steady = rates[1:] if len(rates) > 1 else rates
    return sum(steady) / len(steady)


def mlp_model():
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def cnn_model():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
    )


def conv1d_model():
    # Edge Impulse's 1D-conv classifier: 650 features as 50 steps x 13 channels (channels first here),
    # conv1d 8 and 16 with 'same' padding, max pooling 2 ('same': ceil), dense head.
    return nn.Sequential(
        nn.Conv1d(13, 8, 3, padding=1), nn.ReLU(), nn.MaxPool1d(2, ceil_mode=True),
        nn.Conv1d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool1d(2, ceil_mode=True),
        nn.Flatten(), nn.Linear(16 * 13, 10),
    )


m = cfg["mlp"]
c = cfg["cnn"]
t = cfg.get("conv1d", {"n": 1, "batch": 1, "epochs": 1})
mx, my = torch.rand(m["n"], 784), torch.randint(0, 10, (m["n"],))
cx, cy = torch.rand(c["n"], 1, 28, 28), torch.randint(0, 10, (c["n"],))
tx = torch.rand(t["n"], 50, 13).transpose(1, 2).contiguous()
ty = torch.randint(0, 10, (t["n"],))
# PyTorch's default here is 1 thread (it counts the cgroup quota); measure that and all cores.
models = cfg.get("models", ["mlp", "cnn"])
for threads in sorted({results["defaultThreads"], os.cpu_count() or 1}):
    torch.set_num_threads(threads)
    if "mlp" in models:
        results[f"mlp_{threads}"] = bench("mlp", mlp_model(), mx, my, m["batch"], m["epochs"])
    if "cnn" in models:
        results[f"cnn_{threads}"] = bench("cnn", cnn_model(), cx, cy, c["batch"], c["epochs"])
    if "conv1d" in models:
        results[f"conv1d_{threads}"] = bench("conv1d", conv1d_model(), tx, ty, t["batch"], t["epochs"])
results["threads"] = sorted({results["defaultThreads"], os.cpu_count() or 1})
results["peakRssMiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(results))
