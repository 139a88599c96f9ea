"""Two git revisions of nbbrain benchmarked side by side on this machine, taking turns.

Each revision is exported into a temporary directory: ``git archive`` for a commit, or a copy
of the checkout this script lives in (uncommitted changes and untracked, not ignored files
included) for the working tree. All runs use this interpreter,
``python -m nbbrain bench MODEL --json --threads T``, with ``PYTHONPATH`` and the working
directory set to that tree and a numba cache of the revision's own. One untimed warm-up per
(revision, model, threads) compiles the kernels first. Then, in each round, old and new run one
after the other for each model and thread count, and the order is swapped every other round,
so that machine noise affects both alike.

For each model and thread count, the script prints the median and min-max of the main figure:
``steps_per_s`` for coba, cuba, sensorimotor and distal_reward (higher is better),
``realtime_factor`` for the microcircuit (lower is better). It also prints ``build_s``, and
``mean_rate_hz`` as a check that both revisions simulate the same thing. Each figure gets the
ratio new/old of the medians, and a flag where the new one is more than 5 % from the old.
``--json`` writes every raw result.
The temporary directory is removed at the end, also on Ctrl-C.

Usage::

    python docs/benchmarks/compare_revisions.py --old HEAD~3           # against the working tree
    python docs/benchmarks/compare_revisions.py --old 0313639 --new HEAD --models coba cuba
    python docs/benchmarks/compare_revisions.py --old HEAD --models microcircuit \\
        --extra-args "--scale 0.1" --threads 1 2 --rounds 5 --json compare.json

Bench's own repeats: ``--repeat 1`` for the microcircuit (a full-scale build is heavy), bench's
default (best of 3) for the others, unless ``--extra-args`` has ``--repeat``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODELS = ("coba", "cuba", "sensorimotor", "microcircuit", "distal_reward")
TOLERANCE = 0.05  # new/old within 1 +- 5 % counts as unchanged


def main_figure(model):
    """(bench JSON key, higher is better) of a model: the microcircuit is judged against real
    time, as in the PD14 benchmarks, the others by timesteps per second."""
    return ("realtime_factor", False) if model == "microcircuit" else ("steps_per_s", True)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", required=True, help="git revision (commit, tag, HEAD~3, ...)")
    parser.add_argument("--new", default=None,
                        help="git revision (default: the working tree, uncommitted changes "
                             "included)")  # fmt: skip
    parser.add_argument("--models", nargs="+", choices=MODELS,
                        default=["coba", "sensorimotor", "microcircuit"],
                        help="(default: coba sensorimotor microcircuit)")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=5, help="timed runs of each side (5)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                        help="thread counts (default: 1 2)")  # fmt: skip
    parser.add_argument(
        "--extra-args",
        default="",
        help='more bench options, e.g. "--scale 0.1" (one option alone: --extra-args=--fresh)',
    )
    parser.add_argument("--json", metavar="PATH", help="write every raw result here")
    args = parser.parse_args(argv)
    if args.rounds < 1 or min(args.threads) < 1:
        parser.error("--rounds and --threads must be >= 1")
    args.extra = shlex.split(args.extra_args)
    if _has_option(args.extra, "--threads"):
        parser.error("give thread counts with --threads, not in --extra-args")
    return args


def _has_option(tokens, name):
    return any(tok == name or tok.startswith(name + "=") for tok in tokens)


def git(repo, *args):
    out = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def describe(repo, rev):
    """What a side measures: its commit, and for the working tree whether it differs from HEAD
    (``git status`` lists untracked files too: they are in the copy that is measured)."""
    if rev is None:
        commit = git(repo, "rev-parse", "HEAD")
        changed = git(repo, "status", "--porcelain").splitlines()
        label = f"working tree = HEAD {commit}"
        if changed:
            shown = ", ".join(line[3:] for line in changed[:4]) + (", ..." if changed[4:] else "")
            label += f" + uncommitted changes ({len(changed)} path(s): {shown})"
        return {"rev": "working tree", "commit": commit, "dirty": bool(changed),
                "changed": changed, "label": label}  # fmt: skip
    try:
        commit = git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except subprocess.CalledProcessError:
        sys.exit(f"not a git revision: {rev!r}")
    subject = git(repo, "log", "-1", "--format=%s", commit)
    return {"rev": rev, "commit": commit, "dirty": False, "changed": [],
            "label": f"{rev} = {commit} ({subject})"}  # fmt: skip


def export_commit(repo, commit, dest):
    """The commit's tree as files, without touching the repository (no worktree to prune
    if the script is killed)."""
    dest.mkdir()
    proc = subprocess.Popen(["git", "archive", "--format=tar", commit], cwd=repo,
                            stdout=subprocess.PIPE)  # fmt: skip
    # "data" refuses absolute paths and links out of dest (Python >= 3.11.4 knows filters)
    kw = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
    with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
        tar.extractall(dest, **kw)
    if proc.wait():
        raise RuntimeError(f"git archive {commit} failed ({proc.returncode})")


def export_worktree(repo, dest):
    """A copy of the checkout's files as they are now (tracked and untracked, not ignored), so
    that edits made while the comparison runs do not leak into it."""
    names = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=repo, check=True, capture_output=True).stdout  # fmt: skip
    dest.mkdir()
    for name in filter(None, names.split(b"\0")):
        src = repo / os.fsdecode(name)
        if not src.is_symlink() and (not src.exists() or src.is_dir()):
            continue  # deleted but not staged, or a submodule
        target = dest / os.fsdecode(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target, follow_symlinks=False)


def run_child(cmd, cwd, env):
    """Run ``cmd``; returns (returncode, stdout, stderr). It runs in a session of its own, so
    that on Ctrl-C or an error the whole group is killed (``bench --fresh`` starts
    processes of its own) before the temporary directory is removed."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)  # fmt: skip
    try:
        out, err = proc.communicate()
    except BaseException:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        raise
    return proc.returncode, out, err


class Side:
    """One revision: its exported tree, its numba cache and the environment of its runs."""

    def __init__(self, name, repo, rev, tmp):
        self.name = name
        self.info = describe(repo, rev)
        self.tree = tmp / name
        if rev is None:
            export_worktree(repo, self.tree)
        else:
            export_commit(repo, self.info["commit"], self.tree)
        cache = tmp / f"numba-cache-{name}"
        cache.mkdir()
        # the tree first on PYTHONPATH: ahead of an editable install of the main checkout
        path = os.pathsep.join(filter(None, [str(self.tree), os.environ.get("PYTHONPATH")]))
        self.env = dict(os.environ, PYTHONPATH=path, NUMBA_CACHE_DIR=str(cache))
        self._check_import()

    def _check_import(self):
        """Make sure ``nbbrain`` comes from this tree: if the tree's layout differed (say
        ``src/``), Python would quietly fall back to the installed one."""
        code = "import nbbrain; print(nbbrain.__file__)"
        rc, out, err = run_child([sys.executable, "-c", code], self.tree, self.env)
        if rc != 0:
            sys.exit(f"{self.name} ({self.info['label']}): nbbrain fails to import:\n{err}")
        if not Path(out.strip()).resolve().is_relative_to(self.tree.resolve()):
            sys.exit(f"{self.name}: nbbrain imports from {out.strip()}, not from {self.tree}")

    def bench(self, model, threads, extra):
        cmd = [sys.executable, "-m", "nbbrain", "bench", model, "--json",
               "--threads", str(threads)]  # fmt: skip
        if model == "microcircuit" and not _has_option(extra, "--repeat"):
            cmd += ["--repeat", "1"]  # one full-scale build per run is enough
        cmd += extra
        t0 = time.perf_counter()
        rc, out, err = run_child(cmd, self.tree, self.env)
        wall = time.perf_counter() - t0
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if rc != 0 or not lines:
            raise RuntimeError(f"{self.name} ({self.info['commit'][:10]}): "
                               f"{shlex.join(cmd)} failed ({rc}):\n{err[-4000:]}")  # fmt: skip
        # stderr is kept: numba's warnings (e.g. a slow threading layer) explain odd figures
        notes = [line for line in err.splitlines() if not line.startswith("memory estimate")]
        return {"side": self.name, "model": model, "threads": threads, "cmd": cmd[1:],
                "process_s": round(wall, 3), "result": json.loads(lines[-1]),
                "stderr": notes}  # fmt: skip


def fmt(key, x):
    if key == "steps_per_s":
        return f"{x:.0f}"
    return f"{x:.2f}" if key == "mean_rate_hz" else f"{x:.4f}"


def summarise(runs, model):
    """Rows (figure, old, new, new/old, verdict) for one model and thread count."""
    figure, higher = main_figure(model)
    rows = []
    for key, better in ((figure, higher), ("build_s", False), ("mean_rate_hz", None)):
        vals = {s: [r["result"][key] for r in runs if r["side"] == s] for s in ("old", "new")}
        med = {s: statistics.median(v) for s, v in vals.items()}
        ratio = med["new"] / med["old"] if med["old"] else float("nan")
        change = ratio - 1.0
        if abs(change) <= TOLERANCE:
            verdict = "within 5 %"
        elif better is None:  # a different rate: the revisions do not simulate the same thing
            verdict = f"DIFFERS {change:+.1%}"
        else:
            verdict = f"{'BETTER' if (change > 0) == better else 'WORSE'} {change:+.1%}"
        overlap = max(map(min, vals.values())) <= min(map(max, vals.values()))
        if abs(change) > TOLERANCE and overlap:  # a few rounds on a busy machine can do that
            verdict += " (ranges overlap: maybe noise)"
        cells = [f"{fmt(key, med[s])} ({fmt(key, min(v))}-{fmt(key, max(v))})"
                 for s, v in vals.items()]  # fmt: skip
        label = f"{key} ({'check' if better is None else 'higher' if better else 'lower'})"
        rows.append({"figure": key, "label": label, "old": cells[0], "new": cells[1],
                     "old_median": med["old"], "new_median": med["new"],
                     "ratio": ratio, "verdict": verdict})  # fmt: skip
    return rows


def print_table(title, rows):
    head = ["figure", "old: median (min-max)", "new: median (min-max)", "new/old", ""]
    table = [head] + [[r["label"], r["old"], r["new"], f"{r['ratio']:.3f}", r["verdict"]]
                      for r in rows]  # fmt: skip
    widths = [max(len(line[i]) for line in table) for i in range(len(head))]
    print(f"\n{title}")
    for line in table:
        cells = [c.ljust(w) if i in (0, 4) else c.rjust(w)
                 for i, (c, w) in enumerate(zip(line, widths))]  # fmt: skip
        print("  " + "  ".join(cells).rstrip())


def compare(args, tmp, record):
    repo = Path(git(HERE, "rev-parse", "--show-toplevel"))
    sides = {"old": Side("old", repo, args.old, tmp), "new": Side("new", repo, args.new, tmp)}
    record["sides"] = {name: side.info for name, side in sides.items()}
    for name, side in sides.items():
        print(f"{name}: {side.info['label']}")
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()} ({sys.executable})")  # fmt: skip
    print(f"bench options: --threads {' '.join(map(str, args.threads))} "
          f"{shlex.join(args.extra)}".rstrip())  # fmt: skip
    pairs = [(m, t) for m in args.models for t in args.threads]

    # compiling (into each side's empty cache) and the first touch of the files are not timed
    t0 = time.perf_counter()
    for model, threads in pairs:
        for side in sides.values():
            run = side.bench(model, threads, args.extra)
            record["warmups"].append(run)
            print(f"  warm-up {side.name} {model} threads {threads}: {run['process_s']:.1f} s",
                  file=sys.stderr)  # fmt: skip
    print(f"warm-up done: {len(record['warmups'])} untimed runs, one per (revision, model, "
          f"threads), {time.perf_counter() - t0:.0f} s")  # fmt: skip

    for rnd in range(args.rounds):
        order = ("old", "new") if rnd % 2 == 0 else ("new", "old")
        for model, threads in pairs:
            for name in order:
                run = dict(round=rnd, **sides[name].bench(model, threads, args.extra))
                record["runs"].append(run)
                key = main_figure(model)[0]
                print(f"  round {rnd + 1}/{args.rounds} {name} {model} threads {threads}: "
                      f"{key} {fmt(key, run['result'][key])}", file=sys.stderr)  # fmt: skip

    for model, threads in pairs:
        runs = [r for r in record["runs"] if (r["model"], r["threads"]) == (model, threads)]
        rows = summarise(runs, model)
        record["summary"].append({"model": model, "threads": threads, "rows": rows})
        size = {r["side"]: (r["result"]["n_neurons"], r["result"]["n_synapses"]) for r in runs}
        (n_old, s_old), (n_new, s_new) = size["old"], size["new"]
        nets = f"{n_new} neurons, {s_new} synapses"
        if (n_old, s_old) != (n_new, s_new):  # a change in the model, not only in its speed
            nets = f"NETWORKS DIFFER: old {n_old} neurons, {s_old} synapses; new {nets}"
        print_table(f"{model}, {threads} thread(s), {args.rounds} round(s), {nets}", rows)


def main(argv=None):
    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # keep the tables in order with stderr's lines
    # SIGTERM ends the script the way Ctrl-C does, so the finally below cleans up
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    record = {"argv": sys.argv[1:], "rounds": args.rounds, "models": args.models,
              "threads": args.threads, "extra_args": args.extra, "complete": False,
              "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                          "python": sys.version},
              "warmups": [], "runs": [], "summary": []}  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="nbbrain-compare-"))
    try:
        compare(args, tmp, record)
        record["complete"] = True
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except RuntimeError as exc:  # a bench run failed: its command and stderr say why
        print(exc, file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not stop the cleanup
        shutil.rmtree(tmp, ignore_errors=True)
        if args.json:  # also a partial record, marked "complete": false
            Path(args.json).write_text(json.dumps(record, indent=1) + "\n")
            print(f"raw results: {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
