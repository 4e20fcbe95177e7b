"""Print the host's load, memory, disk and GPUs as one JSON line (``python - [ROOT]``).

The disk figure is for the storage root when given (or the nearest existing parent), else home.
GPU fields follow the viewer's ``/api/gpu`` shape, with memory in bytes.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

NVIDIA_SMI_QUERY = (
    "--query-gpu=index,name,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw"
)
MIB = 1024 * 1024


def number(text: str) -> float | None:
    """A float, or None for ``[N/A]`` and friends."""
    try:
        return float(text.strip())
    except ValueError:
        return None


def memory() -> dict[str, Any]:
    """Total, available and used bytes from ``/proc/meminfo`` (Linux); Nones elsewhere."""
    values: dict[str, int] = {}
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                key, _, rest = line.partition(":")
                fields = rest.split()
                if fields and fields[0].isdigit():
                    values[key] = int(fields[0]) * 1024
    except OSError:
        pass
    total, available = values.get("MemTotal"), values.get("MemAvailable")
    used = total - available if total is not None and available is not None else None
    percent = round(100.0 * used / total, 1) if used is not None and total else None
    return {"total": total, "available": available, "used": used, "percent": percent}


def disk(root: str) -> dict[str, Any]:
    """Usage of the file system holding ``root`` (or its nearest existing parent)."""
    path = Path(root)
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        usage = shutil.disk_usage(path)
    except OSError as exc:
        return {"path": root, "error": str(exc)}
    percent = round(100.0 * usage.used / usage.total, 1) if usage.total else None
    return {
        "path": root,
        "measured_at": str(path),
        "total": usage.total,
        "used": usage.used,
        "free": usage.free,
        "percent": percent,
    }


def gpus() -> dict[str, Any]:
    """``nvidia-smi`` readings, or ``available: false`` and why."""
    report: dict[str, Any] = {"available": False, "reason": None, "gpus": []}
    smi = shutil.which("nvidia-smi")
    if smi is None:
        report["reason"] = "nvidia-smi not found on the remote PATH (no NVIDIA driver?)"
        return report
    try:
        done = subprocess.run(
            [smi, NVIDIA_SMI_QUERY, "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        report["reason"] = f"nvidia-smi failed: {exc}"
        return report
    if done.returncode != 0:
        report["reason"] = (done.stderr or done.stdout).strip()[:500] or "nvidia-smi failed"
        return report
    for line in done.stdout.splitlines():
        parts = [part.strip() for part in line.split(",")]
        if len(parts) < 7 or not parts[0].isdigit():
            continue
        used, total = number(parts[3]), number(parts[4])
        report["gpus"].append(
            {
                "index": int(parts[0]),
                "name": parts[1],
                "utilization": number(parts[2]),
                "memory_used": used * MIB if used is not None else None,
                "memory_total": total * MIB if total is not None else None,
                "temperature": number(parts[5]),
                "power": number(parts[6]),
            }
        )
    report["available"] = bool(report["gpus"])
    if not report["gpus"]:
        report["reason"] = "nvidia-smi lists no GPU"
    return report


def main(argv: list[str]) -> None:
    root = str(Path(argv[1] if len(argv) > 1 and argv[1] else "~").expanduser())
    try:
        load: list[float] | None = list(os.getloadavg())
    except (OSError, AttributeError):
        load = None
    status = {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "time": time.time(),
        "cpu_count": os.cpu_count(),
        "load": load,
        "memory": memory(),
        "disk": disk(root),
        "gpu": gpus(),
    }
    print(json.dumps(status))


if __name__ == "__main__":
    main(sys.argv)
