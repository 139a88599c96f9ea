"""Where a model's compiled kernel spends its time: Linux ``perf`` samples of a run, mapped
onto the machine code of numba's functions.

numba's code has no symbols that ``perf report`` can read, so this script does the mapping
itself. It builds and warms up the model, then, in the same process:

1. takes the entry address of every compiled overload of every numba dispatcher (its
   ``library.get_pointer_to_function``), and copies the anonymous executable mappings of
   ``/proc/self/maps`` (where the code lives) into a temporary directory;
2. runs ``perf record -e cpu-clock -p PID`` (``cpu-clock`` needs no hardware counters, so
   it also works in virtual machines) during the timed run;
3. assigns each sample to the function whose entry is the nearest below it, and prints the
   share of each function, the hottest 256-byte blocks, and ``objdump``'s disassembly of
   the hottest blocks with each instruction's share of the samples.

The kernels inline the whole step, so most samples fall into one function (``run_chunk``);
the blocks and their instructions then tell its phases apart (the neuron update's vector
loop, the spike scan, the plastic loops). A sample is charged to the instruction after the
one that stalled, as usual with ``perf``.

Needs ``perf`` (``kernel.perf_event_paranoid`` at most 2 allows profiling one's own
processes) and ``objdump`` (binutils). Usage::

    python docs/benchmarks/profile_kernel.py coba --stdp --duration-ms 4000
    python docs/benchmarks/profile_kernel.py distal_reward --duration-ms 30000 --blocks 4
"""

from __future__ import annotations

import argparse
import bisect
import collections
import ctypes
import gc
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BLOCK = 256  # bytes per block of the hot-block table


def parse_args(argv=None):
    from nbbrain.cli import MODELS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=sorted(MODELS))
    parser.add_argument("--stdp", action="store_true", help="coba: STDP on E -> E")
    parser.add_argument("--plastic-aside", action="store_true",
                        help="coba: static, beside a plastic projection apart")  # fmt: skip
    parser.add_argument("--duration-ms", type=float, default=4000.0, help="profiled run")
    parser.add_argument("--warmup-ms", type=float, default=20.0, help="untimed, first")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--frequency", type=int, default=5000, help="samples per second")
    parser.add_argument("--blocks", type=int, default=3, help="hot blocks to disassemble")
    parser.add_argument("--min-share", type=float, default=0.5,
                        help="blocks below this share (%%) are not listed")  # fmt: skip
    args = parser.parse_args(argv)
    for flag in ("stdp", "plastic_aside"):
        if getattr(args, flag) and args.model != "coba":
            parser.error(f"--{flag.replace('_', '-')} is an option of coba, not of {args.model}")
    return args


def entry_points() -> dict[int, str]:
    """{address: name} of every compiled overload of every numba dispatcher alive."""
    from numba.core.registry import CPUDispatcher

    out = {}
    for obj in gc.get_objects():
        if isinstance(obj, CPUDispatcher):
            for cres in obj.overloads.values():
                address = cres.library.get_pointer_to_function(cres.fndesc.mangled_name)
                if address:
                    out[address] = cres.fndesc.qualname
    return out


def dump_code(folder: Path) -> list[tuple[int, Path]]:
    """Copy the anonymous executable mappings of this process into ``folder``."""
    regions = []
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split()
        if "r" in fields[1] and "x" in fields[1] and len(fields) < 6:  # (no file: JIT code)
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            path = folder / f"{lo:x}.bin"
            path.write_bytes(ctypes.string_at(lo, hi - lo))
            regions.append((lo, path))
    return regions


def sample(sim, duration_ms, frequency, data: Path) -> float:
    """Run ``sim`` for ``duration_ms`` under ``perf record``; returns the run's seconds."""
    perf = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", str(frequency),
                             "-o", str(data), "-p", str(os.getpid())],
                            stderr=subprocess.DEVNULL)  # fmt: skip
    time.sleep(1.0)  # (perf attaches)
    start = time.perf_counter()
    sim.run(duration_ms)
    seconds = time.perf_counter() - start
    perf.send_signal(signal.SIGINT)
    if perf.wait() not in (0, -signal.SIGINT) or not data.exists():
        sys.exit("profile_kernel: perf record failed (is kernel.perf_event_paranoid above 2?)")
    return seconds


def disassemble(regions, lo, hi, counts, total) -> str:
    """objdump of [lo, hi), each instruction prefixed with its share of the samples."""
    for base, path in regions:
        if base <= lo < base + path.stat().st_size:
            text = subprocess.run(["objdump", "-D", "-b", "binary", "-m", "i386:x86-64",
                                   "--no-show-raw-insn", f"--adjust-vma={base}",
                                   f"--start-address={lo}", f"--stop-address={hi}", str(path)],
                                  capture_output=True, text=True).stdout  # fmt: skip
            lines = []
            for line in text.splitlines():
                head = line.split(":")[0].strip()
                if not head or any(c not in "0123456789abcdef" for c in head):
                    continue
                share = 100 * counts.get(int(head, 16), 0) / total
                lines.append(f"{share:5.1f} {line.strip()}" if share else f"      {line.strip()}")
            return "\n".join(lines)
    return "(not in the copied code)"


def main(argv=None):
    args = parse_args(argv)
    for tool in ("perf", "objdump"):
        if shutil.which(tool) is None:
            sys.exit(f"profile_kernel: {tool} is not on PATH")
    from nbbrain.cli import MODELS

    flags = [k for k in ("stdp", "plastic_aside") if getattr(args, k)]
    brain = MODELS[args.model](**{k: True for k in flags})
    sim = brain.build(threads=args.threads)
    sim.run(args.warmup_ms)
    with tempfile.TemporaryDirectory(prefix="nbbrain-profile-") as tmp:
        folder = Path(tmp)
        names = sorted(entry_points().items())
        regions = dump_code(folder)
        seconds = sample(sim, args.duration_ms, args.frequency, folder / "perf.data")
        ips = subprocess.run(["perf", "script", "-i", str(folder / "perf.data"), "-F", "ip"],
                             capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
        counts = collections.Counter(int(ip, 16) for ip in ips)
        total = max(sum(counts.values()), 1)
        starts = [a for a, _ in names]
        functions, blocks = collections.Counter(), collections.Counter()
        for ip, c in counts.items():
            i = bisect.bisect_right(starts, ip) - 1
            functions[names[i][1] if i >= 0 and ip - starts[i] < 1 << 20 else "(other)"] += c
            blocks[ip - ip % BLOCK] += c
        print(f"{' '.join([args.model] + flags)}: {args.duration_ms:g} ms in "
              f"{seconds:.3f} s, {total} samples")  # fmt: skip
        for name, c in functions.most_common(8):
            print(f"{100 * c / total:5.1f} %  {name}")
        print(f"\nblocks of {BLOCK} bytes (at least {args.min_share} %):")
        for lo, c in sorted(blocks.items()):
            if 100 * c / total >= args.min_share:
                print(f"{100 * c / total:5.1f} %  {lo:x}")
        for lo, _ in blocks.most_common(args.blocks):
            print(f"\n--- {lo:x}\n" + disassemble(regions, lo, lo + BLOCK, counts, total))


if __name__ == "__main__":
    main()
