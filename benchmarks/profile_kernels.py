"""Where the compiled kernels spend their time, instruction by instruction: a profiling script, not a test.

Runs a city of ``n`` households (the throughput benchmark's scenario) for 14 months (past the first yearly
re-sort of the household slots), then samples ``--months`` further months with Linux ``perf`` (``cpu-clock``:
works without hardware counters, e.g. in a VM). The samples are attributed to qsim's compiled functions by
the nearest entry point below them (approximate far from it: numba's helpers have no entry point here).
For every function with at least 1% of the samples, its machine code (``objdump``, Intel syntax) is written
with the share of that function's samples on each instruction to ``<out>/<module.function>.txt``. Sampling
skids: a stalled load usually shows its cost on the next instruction or two.

    python benchmarks/profile_kernels.py --households 1e5 --months 12      # needs perf and objdump
    sort -rn scratch/annot/encounters.encounters_step.txt | head -40
"""

from __future__ import annotations

import argparse
import bisect
import collections
import ctypes
import importlib
import os
import pkgutil
import subprocess
from pathlib import Path

from numba.core.registry import CPUDispatcher

import qsim
import qsim.kernels
import qsim.rng
import qsim.state
from throughput import scenario


def entry_points() -> dict[int, str]:
    """Address of every compiled overload of qsim's numba functions -> ``module.function``."""
    modules = [qsim.state, qsim.rng] + [
        importlib.import_module(f"qsim.kernels.{m.name}") for m in pkgutil.iter_modules(qsim.kernels.__path__)]
    found = {}
    for module in modules:
        for name, obj in vars(module).items():
            if isinstance(obj, CPUDispatcher) and obj.__module__ == module.__name__:
                for compiled in obj.overloads.values():
                    address = compiled.library.get_pointer_to_function(compiled.fndesc.llvm_func_name)
                    if address:
                        found[address] = f"{module.__name__.rsplit('.', 1)[-1]}.{name}"
    return found


def sample(sim: qsim.Simulation, months: int, data: Path) -> list[int]:
    """Instruction addresses sampled by perf while ``sim`` steps ``months`` months."""
    recorder = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "20000", "-p", str(os.getpid()),
                                 "-o", str(data)], stderr=subprocess.DEVNULL)
    try:
        subprocess.run(["sleep", "0.5"], check=True)  # perf attaches
        for _ in range(months):
            sim.step()
    finally:
        recorder.send_signal(2)
        recorder.wait()
    script = subprocess.run(["perf", "script", "-i", str(data), "-F", "ip"], capture_output=True, text=True, check=True)
    return [int(x, 16) for x in script.stdout.split()]


def annotate(address: int, offsets: collections.Counter, path: Path, scratch: Path) -> None:
    """Write the machine code from ``address`` with the share of the samples at each instruction."""
    scratch.write_bytes(ctypes.string_at(address, max(offsets) + 64))
    listing = subprocess.run(["objdump", "-D", "-b", "binary", "-mi386:x86-64", "-M", "intel", str(scratch)],
                             capture_output=True, text=True, check=True).stdout
    total = sum(offsets.values())
    lines = []
    for line in listing.splitlines():
        try:
            offset = int(line.split(":", 1)[0].strip(), 16)
        except ValueError:
            continue
        lines.append(f"{100 * offsets.get(offset, 0) / total:5.1f} {line}")
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=float, default=1e5)
    parser.add_argument("--months", type=int, default=12, help="sampled months (after 14 unsampled ones)")
    parser.add_argument("--out", type=Path, default=Path("scratch/annot"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    sim = qsim.Simulation(scenario(int(args.households), args.months + 20), seed=1)
    for _ in range(14):
        sim.step()
    functions = entry_points()
    starts = sorted(functions)
    by_function: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
    addresses = sample(sim, args.months, args.out / "perf.data")
    for ip in addresses:
        k = bisect.bisect_right(starts, ip) - 1
        if k >= 0 and ip - starts[k] < 60_000:
            by_function[starts[k]][ip - starts[k]] += 1
    attributed = sum(sum(c.values()) for c in by_function.values())
    print(f"{len(addresses)} samples, {1 - attributed / max(len(addresses), 1):.1%} outside qsim's functions")
    for address, offsets in sorted(by_function.items(), key=lambda kv: -sum(kv[1].values())):
        share = sum(offsets.values()) / len(addresses)
        print(f"{share:6.1%}  {functions[address]}")
        if share >= 0.01:
            annotate(address, offsets, args.out / f"{functions[address]}.txt", args.out / "code.bin")
    print(f"annotated machine code in {args.out}/")


if __name__ == "__main__":
    main()
