# PyTorch CPU inference of bench:predict's model (MLP 784-256-128-10, softmax), for the same row counts:
# single-row latency (warm, p50/p99 in ms) and batch forward rows/s in the same chunks. Reads a JSON config
# {"rows", "chunk", "requests"} as argv[1]; prints one JSON object. Run by packages/api/bench/predict.ts.
import json, sys, time
import torch

cfg = json.loads(sys.argv[1])
torch.manual_seed(0)
model = torch.nn.Sequential(
    torch.nn.Linear(784, 256), torch.nn.ReLU(),
    torch.nn.Linear(256, 128), torch.nn.ReLU(),
    torch.nn.Linear(128, 10), torch.nn.Softmax(dim=1),
).eval()
rows, chunk, requests = int(cfg["rows"]), int(cfg["chunk"]), int(cfg["requests"])
matrix = torch.rand(rows, 784)
one = matrix[:1]
times = []
with torch.inference_mode():
    for i in range(requests + 30):
        t = time.perf_counter()
        model(one).numpy()
        if i >= 30:
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    t = time.perf_counter()
    for i in range(0, rows, chunk):
        model(matrix[i : i + chunk]).numpy()
    seconds = time.perf_counter() - t
pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
print(json.dumps({
    "torch": torch.__version__, "threads": torch.get_num_threads(),
    "p50": pick(0.5), "p99": pick(0.99), "n": len(times), "rowsPerSecond": rows / seconds,
}))
