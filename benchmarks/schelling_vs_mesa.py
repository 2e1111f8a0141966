"""Classic Schelling model: qsim against Mesa's own example model, side by side in one process.

Configuration of both: 100 x 100 grid (no torus), density 0.8, two equal
groups, threshold 0.4, Moore radius 1, an unhappy agent moves to a random
empty cell; decisions on the state at the start of the step, moves in
random order. qsim runs ``scenarios/schelling.toml``; Mesa runs
``mesa.examples.basic.schelling.model.Schelling`` (its step includes the
example's DataCollector, as shipped). Both make the same fixed number of
steps (Mesa's ``running`` flag is ignored). Reported: CPU time per step
(this thread; wall time too), agent-steps per second, the ratio, and as a
docking check the mean share of similar neighbours and the share of happy
agents at the start and end.

    python benchmarks/schelling_vs_mesa.py
    python benchmarks/schelling_vs_mesa.py --steps 50 --repeats 3 --json out.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
from numba import njit

import qsim
from qsim.kernels.mobility import similar_share

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "schelling.toml"


@njit(cache=True)
def _similar_shares(alive, dwelling, group, dw_block, blk, ar, radius):
    """Share of similar households among the Moore neighbours of every resident household."""
    out = np.empty(alive.sum())
    k = 0
    for i in range(alive.shape[0]):
        if alive[i]:
            home = dw_block[dwelling[i]]
            out[k] = similar_share(blk, ar, blk.group_count, home, group[i], radius, home)
            k += 1
    return out


def qsim_similarity(sim: qsim.Simulation) -> np.ndarray:
    s = sim.state
    h = s.households
    return _similar_shares(h.alive, h.dwelling, h.group, s.dwellings.block, s.blocks.view(), s.areas.view(),
                           int(sim.params.mobility.radius))


def mesa_similarity(model) -> np.ndarray:
    shares = []
    for agent in model.agents:
        neighbours = list(agent.cell.get_neighborhood(radius=agent.radius).agents)
        same = sum(1 for other in neighbours if other.type == agent.type)
        shares.append(same / len(neighbours) if neighbours else 0.0)
    return np.array(shares)


def docking(shares: np.ndarray, threshold: float) -> dict:
    return {"mean_similar_share": float(shares.mean()), "happy_share": float((shares >= threshold).mean())}


def timed(step, steps: int, agents: int) -> dict:
    """CPU time (this thread: the machine may be shared) and wall time of ``steps`` calls of ``step``."""
    start, start_cpu = time.perf_counter(), time.thread_time()
    for _ in range(steps):
        step()
    cpu, wall = time.thread_time() - start_cpu, time.perf_counter() - start
    return {"step_s": cpu / steps, "step_wall_s": wall / steps, "agent_steps_per_s": agents * steps / cpu}


def run_qsim(steps: int, seed: int) -> dict:
    data = tomllib.loads(SCENARIO.read_text())
    data["scenario"]["years"] = steps // 12 + 1
    scenario = qsim.scenario_from_dict(data, str(SCENARIO))
    start = time.perf_counter()
    sim = qsim.Simulation(scenario, seed=seed)
    construction = time.perf_counter() - start
    threshold = sim.params.mobility.similarity_threshold
    before = docking(qsim_similarity(sim), threshold)
    agents = int(sim.state.households.alive.sum())
    return {"agents": agents, "construction_s": construction, **timed(sim.step, steps, agents), "start": before,
            "end": docking(qsim_similarity(sim), threshold)}


def mesa_schelling():
    """Mesa's example model class.

    ``mesa/examples/__init__.py`` imports every example, and some need networkx
    (not a qsim dependency); without it, that package module is replaced by an
    empty one so that only the Schelling example's own files are imported.
    """
    try:
        from mesa.examples.basic.schelling.model import Schelling
    except ModuleNotFoundError:
        import types

        import mesa

        package = types.ModuleType("mesa.examples")
        package.__path__ = [str(Path(mesa.__file__).parent / "examples")]
        sys.modules["mesa.examples"] = package
        from mesa.examples.basic.schelling.model import Schelling
    return Schelling


def run_mesa(steps: int, seed: int, threshold: float) -> dict:
    Schelling = mesa_schelling()
    start = time.perf_counter()
    model = Schelling(height=100, width=100, density=0.8, minority_pc=0.5, homophily=threshold, radius=1, seed=seed)
    construction = time.perf_counter() - start
    before = docking(mesa_similarity(model), threshold)
    agents = len(model.agents)
    return {"agents": agents, "construction_s": construction, **timed(model.step, steps, agents), "start": before,
            "end": docking(mesa_similarity(model), threshold)}


def median_run(runs: list[dict]) -> dict:
    """The run with the median time per step."""
    return sorted(runs, key=lambda r: r["step_s"])[len(runs) // 2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=30, help="steps per run (default 30)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per model with seeds 1.. (default 3)")
    parser.add_argument("--json", type=Path, default=None, help="write all numbers to this JSON file")
    args = parser.parse_args(argv)

    import mesa

    run_qsim(2, seed=0)  # load the cached kernels (or compile them) outside the timing
    threshold = qsim.load_scenario(SCENARIO).parameters["mobility.similarity_threshold"]
    seeds = range(1, args.repeats + 1)
    runs = {"qsim": [run_qsim(args.steps, s) for s in seeds],
            "mesa": [run_mesa(args.steps, s, threshold) for s in seeds]}
    q, m = median_run(runs["qsim"]), median_run(runs["mesa"])
    ratio = m["step_s"] / q["step_s"]
    print(f"Schelling 100x100, density 0.8, threshold {threshold}, radius 1; {args.steps} steps, median of "
          f"{args.repeats} runs; qsim {qsim.__version__}, mesa {mesa.__version__}\n")
    print(f"{'':6} {'agents':>7} {'build s':>8} {'ms/step':>9} {'(wall)':>7} {'agent-steps/s':>14}   "
          f"similar share start -> end   happy start -> end")
    for name, r in (("qsim", q), ("mesa", m)):
        print(f"{name:6} {r['agents']:>7,} {r['construction_s']:>8.3f} {1e3 * r['step_s']:>9.3f} "
              f"{1e3 * r['step_wall_s']:>7.2f} "
              f"{r['agent_steps_per_s']:>14,.0f}   {r['start']['mean_similar_share']:.3f} -> "
              f"{r['end']['mean_similar_share']:.3f}                {r['start']['happy_share']:.3f} -> "
              f"{r['end']['happy_share']:.3f}")
    print(f"\nqsim is {ratio:.1f}x faster than Mesa per step in CPU time ({m['step_wall_s'] / q['step_wall_s']:.1f}x "
          "in wall time); issue target >= 30x, DESIGN target >= 60x")
    if args.json:
        args.json.write_text(json.dumps({"steps": args.steps, "ratio": ratio, "runs": runs, "mesa": mesa.__version__,
                                         "qsim": qsim.__version__}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
