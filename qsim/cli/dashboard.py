"""`qsim dashboard`: a scenario in the browser (Mesa's SolaraViz, served by solara)."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

from ..errors import QsimError

EPILOG_DASHBOARD = """example:
  qsim dashboard scenarios/social_cohesion.toml --port 8765
  qsim dashboard scenarios/participation.toml --lang de                # auf Deutsch
  qsim dashboard scenarios/baseline.toml --host 0.0.0.0 --no-browser   # reachable from other machines
"""


class DashboardError(QsimError):
    """The dashboard cannot start (port taken, solara missing)."""


def check_port(host: str, port: int) -> None:
    """DashboardError unless ``port`` on ``host`` can be listened on."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            raise DashboardError(f"--port {port}: cannot listen on {host}:{port} ({e.strerror or e}); "
                                 "choose another port") from None


def server_command(host: str, port: int, open_browser: bool) -> list[str]:
    """The solara command line that serves :mod:`qsim.mesa.dashboard`."""
    return [sys.executable, "-m", "solara", "run", "qsim.mesa.dashboard", "--host", host, "--port", str(port),
            "--production", "--no-check-version", "--open" if open_browser else "--no-open",
            "--log-level", "warning"]


def _dashboard(args) -> int:
    import importlib.util

    from ..scenario import load_scenario

    path = Path(args.scenario).resolve()
    load_scenario(path)  # a bad scenario stops here, with the scenario's own error and no server
    missing = [m for m in ("solara", "solara_assets", "networkx") if importlib.util.find_spec(m) is None]
    if missing:
        raise DashboardError(f"the dashboard needs {', '.join(missing)}: pip install -e . (qsim's dependencies)")
    check_port(args.host, args.port)
    env = os.environ | {"QSIM_DASHBOARD_SCENARIO": str(path), "QSIM_DASHBOARD_LANG": args.lang,
                        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}  # no usage reports
    print(f"qsim dashboard of {args.scenario} at http://{args.host}:{args.port} (Ctrl-C stops it)", flush=True)
    command = server_command(args.host, args.port, not args.no_browser)
    os.execve(command[0], command, env)  # the server takes over this process (and its Ctrl-C)
    return 0  # not reached


def register(sub) -> None:
    """Add this module's command(s) to the `qsim` parser."""
    p = sub.add_parser("dashboard", help="explore a scenario in the browser: block map, indicator plots, controls "
                       "for measures and budgets, play / step / reset",
                       epilog=EPILOG_DASHBOARD, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", help="scenario file (TOML)")
    p.add_argument("--port", type=int, default=8765, help="port to serve on (default 8765)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    p.add_argument("--lang", choices=("en", "de"), default="en",
                   help="language of the page: en (default) or de (German labels, measure and funding names)")
    p.set_defaults(func=_dashboard)
