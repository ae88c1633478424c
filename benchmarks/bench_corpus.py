"""Corpus throughput: the fine-tuned BERT on SST-2 dev, all layers, serial and on Ray workers.

    python benchmarks/bench_corpus.py                        # serial, 1 Ray worker, 2 Ray workers; 64 sentences
    python benchmarks/bench_corpus.py --engines serial       # the serial path only
    python benchmarks/bench_corpus.py --limit 872            # the whole dev set

Every variant explains the same sentences with the same σ_S into its own fresh, temporary result
cache (so each computes everything), with `--threads` torch threads per process (the serial
process, or each Ray worker). Reported: sentence-layer pairs per second, each variant's throughput
as a ratio to the serial one, whether its σ equal the serial run's bit for bit, the Ray workers'
start-up (process + model load, not in the throughput), Ray's overhead per batch (driver round trip
minus the worker's compute), the projected time for all 872 dev sentences, and how fast a re-run
skips the stored pairs. Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

import infolib  # noqa: E402
from infolib.core.data import load_sst2  # noqa: E402
from infolib.core.sigma_s import sigma_s, sst2_corpus  # noqa: E402
from infolib.core.store import ResultCache  # noqa: E402


def run(model, sentences, layers, spread, args, pool=None):
    """(seconds, result, seconds of a re-run on the filled cache) of one variant."""
    engine = {"engine": "ray", "pool": pool} if pool is not None else {}
    with tempfile.TemporaryDirectory() as folder:
        store = ResultCache(folder)
        start = time.perf_counter()
        result = infolib.explain_corpus(
            model, sentences, layers, batch_size=args.batch_size, cache=store, sigma_s=spread, progress=True, **engine
        )
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        infolib.explain_corpus(
            model, sentences, layers, batch_size=args.batch_size, cache=store, sigma_s=spread, progress=False, **engine
        )
        return seconds, result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="bert-sst2")
    parser.add_argument("--limit", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the serial process and of each worker")
    parser.add_argument("--engines", default="serial,ray1,ray2", help="comma-separated: serial, rayN (N workers)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    model = infolib.load_model(args.model)
    layers = model.resolve_layers("all")
    spread = sigma_s(model, layers, sst2_corpus())  # the paper's corpus, cached per model; not part of the throughput
    dev = load_sst2("dev").sentences
    n = min(args.limit, len(dev))
    sentences, pairs = dev[:n], n * len(layers)

    rows, reference = [], None
    ray = None
    for engine in engines:
        row = {"engine": engine}
        if engine == "serial":
            seconds, result, resumed = run(model, sentences, layers, spread, args)
        else:
            from infolib.distributed import WorkerPool

            workers = int(engine.removeprefix("ray"))
            if ray is None:
                import ray

                ray.init(
                    address="local",
                    num_cpus=max(os.cpu_count() or 1, workers * args.threads),
                    include_dashboard=False,
                    log_to_driver=False,
                )
            start = time.perf_counter()
            pool = WorkerPool(args.model, model.fingerprint(), workers, threads_per_worker=args.threads)
            pool.pids()  # every worker has started and loaded the model
            row["startup_s"] = round(time.perf_counter() - start, 1)
            try:
                seconds, result, resumed = run(args.model, sentences, layers, spread, args, pool=pool)
                batches = (n + args.batch_size - 1) // args.batch_size
                trips = pool.timings[:batches]  # the first run's batches (the re-run sends none)
                row["overhead_ms_per_batch"] = round(1000 * sum(t - c for t, c in trips) / len(trips), 1)
                row["compute_s_per_batch"] = round(sum(c for _, c in trips) / len(trips), 2)
            finally:
                pool.close()
        row.update(
            seconds=round(seconds, 1),
            pairs_per_second=round(pairs / seconds, 3),
            resumed_s=round(resumed, 1),
            mean_steps=round(sum(d["steps"] for d in result.diagnostics.values()) / pairs, 1),
            unconverged=sum(not d["converged"] for d in result.diagnostics.values()),
        )
        if reference is None:
            reference = (engine, result, pairs / seconds)
        row[f"ratio_to_{reference[0]}"] = round((pairs / seconds) / reference[2], 2)
        row[f"equal_to_{reference[0]}"] = all(torch.equal(result.sigma[p], reference[1].sigma[p]) for p in result.sigma)
        rows.append(row)
    if ray is not None:
        ray.shutdown()

    base = reference[0]
    print(
        f"{args.model}, {n} SST-2 dev sentences × {len(layers)} layers = {pairs} pairs, batch {args.batch_size}, "
        f"{args.threads} torch thread(s) per process, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f} at the end"
    )
    header = (
        f"{'engine':<8}{'seconds':>9}{'pairs/s':>9}{'× ' + base:>10}{'= ' + base:>10}{'start s':>9}"
        f"{'Ray ms/batch':>14}{'compute s/batch':>17}{'re-run s':>10}"
    )
    print(header)
    for r in rows:
        print(
            f"{r['engine']:<8}{r['seconds']:>9.1f}{r['pairs_per_second']:>9.2f}{r[f'ratio_to_{base}']:>10.2f}"
            f"{str(r[f'equal_to_{base}']):>10}{r.get('startup_s', math.nan):>9.1f}"
            f"{r.get('overhead_ms_per_batch', math.nan):>14.1f}{r.get('compute_s_per_batch', math.nan):>17.2f}"
            f"{r['resumed_s']:>10.1f}"
        )
    best = max(r["pairs_per_second"] for r in rows)
    print(f"projected for all {len(dev)} dev sentences at the best rate: {len(dev) * len(layers) / best / 60:.1f} min")
    print(
        json.dumps(
            {
                "bench": "corpus",
                "model": args.model,
                "sentences": n,
                "layers": len(layers),
                "batch_size": args.batch_size,
                "threads": args.threads,
                "cores": os.cpu_count(),
                "variants": rows,
            }
        )
    )


if __name__ == "__main__":
    main()
