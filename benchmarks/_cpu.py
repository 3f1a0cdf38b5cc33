"""CPU seconds per component between two snapshots, from /proc, and how much of the machine was someone else's.

Components are the benchmark's process trees (by their main pid, children and
reaped children included), PostgreSQL and Redis counted whole (every process
of the server: on a shared machine that includes other sessions' queries),
and this process (the client). `machine_cpu_s_not_ours` is the machine's busy
time minus all of those: other work competing with the run.
"""

import os
import time
from collections import Counter
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
INSIDE = ("worker_main_process",)  # counted already in its tree ("worker")
BUSY_MACHINE_SHARE = 0.15  # above this share of busy CPU not ours, the run competed with other work


def _proc_table() -> dict[int, tuple[int, str, float, float]]:
    """pid -> (ppid, comm, own user+system CPU s, reaped children's CPU s) for every readable process."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            data = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        rpar = data.rindex(")")
        f = data[rpar + 2 :].split()
        own, reaped = (int(f[11]) + int(f[12])) / CLK_TCK, (int(f[13]) + int(f[14])) / CLK_TCK
        table[int(entry.name)] = (int(f[1]), data[data.index("(") + 1 : rpar], own, reaped)
    return table


def _tree_cpu(table: dict, root: int | None) -> float:
    """CPU of a process, its live descendants and the children it reaped."""
    if root is None or root not in table:
        return 0.0
    children: dict[int, list[int]] = {}
    for pid, row in table.items():
        children.setdefault(row[0], []).append(pid)
    total, stack = table[root][3], [root]
    while stack:
        pid = stack.pop()
        total += table[pid][2]
        stack.extend(children.get(pid, ()))
    return total


def _named_cpu(table: dict, comm_prefix: str) -> float:
    """Every process of a server, including exited children reaped by its top process."""
    pids = {pid for pid, row in table.items() if row[1].startswith(comm_prefix)}
    tops = [pid for pid in pids if table[pid][0] not in pids]
    return sum(table[pid][2] for pid in pids) + sum(table[pid][3] for pid in tops)


def _machine_jiffies() -> tuple[int, int]:
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal (guest is inside user)
    return total - fields[3] - fields[4], total


class CpuMeter:
    """`snapshot()` before and after a phase; `delta(a, b, units, unit_name)` is its CPU per unit."""

    def __init__(self, procs: dict) -> None:
        self.procs = procs  # name -> tests.processes.ManagedProcess

    def snapshot(self) -> dict:
        table = _proc_table()
        busy, total = _machine_jiffies()
        snap = {name: _tree_cpu(table, p.pid if p.alive() else None) for name, p in self.procs.items()}
        worker = self.procs.get("worker")
        if worker and worker.alive() and worker.pid in table:  # consumer, pool bookkeeping; the rest is children
            snap["worker_main_process"] = table[worker.pid][2]
        snap["client"] = table.get(os.getpid(), (0, "", 0.0, 0.0))[2]
        snap["postgres"] = _named_cpu(table, "postgres")
        snap["redis"] = _named_cpu(table, "redis-server")
        return {**snap, "machine_busy": busy / CLK_TCK, "machine_total": total / CLK_TCK, "wall": time.monotonic()}

    @staticmethod
    def delta(a: dict, b: dict, units: int, unit_name: str) -> dict:
        cpu = {k: b[k] - a.get(k, 0.0) for k in b if k not in ("machine_busy", "machine_total", "wall")}
        cpu["total_listed"] = sum(v for k, v in cpu.items() if k not in INSIDE)  # every process the run watched
        busy, capacity = b["machine_busy"] - a["machine_busy"], b["machine_total"] - a["machine_total"]
        return {
            "wall_s": round(b["wall"] - a["wall"], 3),
            f"cpu_ms_per_{unit_name}": {k: round(v * 1000 / max(units, 1), 3) for k, v in sorted(cpu.items())},
            "cpu_s": {k: round(v, 3) for k, v in sorted(cpu.items())},
            "machine_busy_share": round(busy / capacity, 3) if capacity else None,
            "machine_cpu_s_busy": round(busy, 2),
            "machine_cpu_s_not_ours": round(busy - cpu["total_listed"], 2),
            "units": units,
        }


def merge_cpu(deltas: list[dict]) -> dict:
    """Per-block deltas summed into one per-phase figure."""
    if not deltas:
        return {}
    units = sum(d["units"] for d in deltas)
    cpu: Counter = Counter()
    for d in deltas:
        cpu.update(d["cpu_s"])
    unit_key = next(k for k in deltas[0] if k.startswith("cpu_ms_per_"))
    return {
        "wall_s": round(sum(d["wall_s"] for d in deltas), 3),
        unit_key: {k: round(v * 1000 / max(units, 1), 3) for k, v in sorted(cpu.items())},
        "cpu_s": {k: round(v, 3) for k, v in sorted(cpu.items())},
        "machine_busy_share_by_block": [d["machine_busy_share"] for d in deltas],
        "machine_cpu_s_busy": round(sum(d["machine_cpu_s_busy"] for d in deltas), 2),
        "machine_cpu_s_not_ours": round(sum(d["machine_cpu_s_not_ours"] for d in deltas), 2),
        "units": units,
    }


def interference(phases: dict[str, dict], load_start: tuple[float, ...]) -> dict:
    """Per phase, the share of the machine's busy CPU that was not the benchmark's."""
    shares = {
        phase: round(v["machine_cpu_s_not_ours"] / v["machine_cpu_s_busy"], 3)
        for phase, v in phases.items()
        if v and v.get("machine_cpu_s_busy")
    }
    worst = max([0.0, *shares.values()])
    return {
        "not_ours_share_of_busy_cpu_by_phase": shares,
        "worst": worst,
        "loadavg_1min_start": round(load_start[0], 2),
        "machine_was_busy": worst > BUSY_MACHINE_SHARE,
        "note": "share of the machine's busy CPU used by processes other than the benchmark's own (the process "
        "trees it started, itself, PostgreSQL, Redis); "
        f"above {BUSY_MACHINE_SHARE} the run competed with other work: rerun when quiet",
    }
