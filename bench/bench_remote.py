"""Remote viewing costs: start-up, reconnect, and the latency the SSH tunnel adds.

    .venv/bin/python bench/bench_remote.py [--rounds 5] [--requests 200] [--points 10000]

Starts a private OpenSSH server on 127.0.0.1 (``/usr/sbin/sshd``, as the tests do), so the
"remote" host is this machine and the remote Python is this one. Measures:

- start → first answer: ``ViewerSession.start()`` (SSH connect, remote viewer start, tunnel)
  until ``/api/health`` answers through the tunnel;
- reconnect: sshd's per-connection processes killed (a dropped link) until ``/api/health``
  answers again on the same local port;
- a metric read (``GET /api/metrics/{id}?keys=loss``, ``--points`` points) through the tunnel vs
  straight to the remote viewer's port, with a kept-alive connection and with a new connection
  per request.

Uses the real viewer (``python -m runicorn.viewer``) when it exists, else the tests' stand-in
viewer (then the metric read is ``/api/health``). Prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
SSHD = Path("/usr/sbin/sshd")
STANDIN = REPO / "tests" / "remote" / "standin_viewer.py"
MODES = ("keep-alive", "new connection")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def private_sshd(
    folder: Path,
) -> Iterator[tuple[int, Path, asyncssh.SSHKey, subprocess.Popen[bytes]]]:
    """An sshd on a free loopback port accepting a fresh key for the current user."""
    host_key, client_key = folder / "host_key", folder / "client_key"
    for path in (host_key, client_key):
        key = asyncssh.generate_private_key("ssh-ed25519")
        key.write_private_key(str(path))
        path.chmod(0o600)
    (folder / "authorized_keys").write_bytes(
        asyncssh.read_private_key(str(client_key)).export_public_key()
    )
    port = free_port()
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\n"
        f"AuthorizedKeysFile {folder / 'authorized_keys'}\nPidFile {folder / 'sshd.pid'}\n"
        "UsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\nMaxSessions 64\nSubsystem sftp internal-sftp\n"
    )
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(config)], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), 1) as s,
            ):
                if s.recv(8).startswith(b"SSH-"):
                    break
            time.sleep(0.05)
        host_public = asyncssh.read_private_key(str(host_key)).convert_to_public()
        yield port, client_key, host_public, proc
    finally:
        for child in psutil.Process(proc.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                child.kill()
        proc.terminate()
        proc.wait(10)


def drop_links(sshd: subprocess.Popen[bytes]) -> None:
    for child in psutil.Process(sshd.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if child.name() == "sshd":
                child.kill()


def make_run(root: Path, points: int) -> str:
    import runicorn as rn

    run = rn.init(project="bench", name="remote", storage=root, capture_console=False,
                  capture_env=False, system_metrics=False)  # fmt: skip
    for step in range(points):
        run.log({"loss": 1.0 / (step + 1)})
    run.finish()
    return str(run.id)


def stats_ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return statistics.median(ordered) * 1000, p95 * 1000


async def wait_healthy(url: str, headers: dict[str, str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url, headers=headers)).status_code == 200:
                    return
            await asyncio.sleep(0.01)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


async def bench(args: argparse.Namespace, folder: Path) -> list[tuple[str, str, str]]:
    from runicorn.remote.connection import SSHConfig, SSHConnection
    from runicorn.remote.known_hosts import accept_host_key
    from runicorn.remote.viewer.manager import RemoteViewerManager
    from runicorn.remote.viewer.session import ViewerSession, http_get

    real = (REPO / "src" / "runicorn" / "viewer" / "__main__.py").exists()
    launcher = None if real else (str(STANDIN),)
    root = folder / "root"
    run_id = make_run(root, args.points)
    rows: list[tuple[str, str, str]] = []
    with private_sshd(folder) as (port, client_key, host_public, sshd):
        accept_host_key("127.0.0.1", port, host_public)
        (folder / "user_known_hosts").touch()
        config = SSHConfig(
            host="127.0.0.1",
            port=port,
            user=psutil.Process().username(),
            key_file=str(client_key),
            use_agent=False,
            ssh_config_files=(),
            user_known_hosts=str(folder / "user_known_hosts"),
        )
        options = {"python": sys.executable, "root": str(root), "launcher": launcher}

        connects, readies = [], []
        for _ in range(args.rounds):
            begin = time.perf_counter()
            conn = await SSHConnection.open(config)
            connects.append(time.perf_counter() - begin)
            manager = RemoteViewerManager(conn)
            begin = time.perf_counter()
            viewer = await manager.start_viewer(
                python=sys.executable, root=str(root), launcher=launcher
            )
            readies.append(time.perf_counter() - begin)
            await manager.stop_viewer(viewer)
            await conn.aclose()

        starts = []
        for _ in range(args.rounds):
            begin = time.perf_counter()
            session = await ViewerSession(config, **options).start()  # type: ignore[arg-type]
            await wait_healthy(f"{session.base_url}/api/health", session.auth_headers())
            starts.append(time.perf_counter() - begin)
            await session.close()
        median, p95 = stats_ms(starts)
        rows.append(("start → first API answer", f"{median:.0f} ms", f"p95 {p95:.0f} ms"))
        for label, samples in (
            ("  of which SSH connect + auth", connects),
            ("  of which remote viewer start to READY", readies),
        ):
            median, p95 = stats_ms(samples)
            rows.append((label, f"{median:.0f} ms", f"p95 {p95:.0f} ms"))

        session = ViewerSession(config, health_interval=0.2, health_timeout=1, **options)  # type: ignore[arg-type]
        await session.start()
        local_port = session.local_port
        reconnects = []
        for i in range(args.rounds):
            begin = time.perf_counter()
            drop_links(sshd)
            while session.reconnects < i + 1:
                await asyncio.sleep(0.005)
            await wait_healthy(f"{session.base_url}/api/health", session.auth_headers())
            reconnects.append(time.perf_counter() - begin)
            assert session.local_port == local_port
        median, p95 = stats_ms(reconnects)
        rows.append(("reconnect after a dropped link", f"{median:.0f} ms", f"p95 {p95:.0f} ms"))
        rows.append(("  (health check every 0.2 s)", "same local port", "yes"))

        assert session.viewer is not None
        path = f"/api/metrics/{run_id}?keys=loss" if real else "/api/health"
        what = f"metric read ({args.points} pts)" if real else "/api/health (stand-in viewer)"
        tunnel_base = session.base_url
        direct_base = f"http://127.0.0.1:{session.viewer.port}"
        headers = session.auth_headers()
        bases = {"direct": direct_base, "tunnel": tunnel_base}
        samples: dict[str, list[float]] = {f"{b} {m}": [] for b in bases for m in MODES}
        async with (
            httpx.AsyncClient(base_url=direct_base, headers=headers, timeout=30) as direct,
            httpx.AsyncClient(base_url=tunnel_base, headers=headers, timeout=30) as tunnel,
        ):
            clients = {"direct": direct, "tunnel": tunnel}
            for i in range(args.requests):
                # Alternate the two paths so both see the same machine noise; stay under the
                # viewer's read rate limit (50/s per client), which a 429 would hide.
                for label, base in bases.items():
                    begin = time.perf_counter()
                    answer = await clients[label].get(path)
                    samples[f"{label} keep-alive"].append(time.perf_counter() - begin)
                    assert answer.status_code == 200, answer.text[:200]
                    if i % 4 == 0:
                        port = int(base.rsplit(":", 1)[1])
                        begin = time.perf_counter()
                        status, text = await http_get("127.0.0.1", port, path, headers)
                        samples[f"{label} new connection"].append(time.perf_counter() - begin)
                        assert status == 200, text[:200]
                    await asyncio.sleep(0.03)
        medians: dict[str, float] = {}
        for label in bases:
            for mode in MODES:
                median, p95 = stats_ms(samples[f"{label} {mode}"])
                medians[f"{label} {mode}"] = median
                rows.append((f"{what}, {label}, {mode}", f"{median:.2f} ms", f"p95 {p95:.2f} ms"))
        for mode in MODES:
            added = medians[f"tunnel {mode}"] - medians[f"direct {mode}"]
            rows.append((f"added by the tunnel, {mode}", f"{added:+.2f} ms", "median"))
        await session.close()
        rows.append(("remote viewer gone after close", str(session.remote_viewer_gone), ""))
        rows.append(("viewer", "real" if real else "stand-in", ""))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--points", type=int, default=10_000)
    args = parser.parse_args()
    if not SSHD.exists():
        sys.exit("needs OpenSSH's sshd at /usr/sbin/sshd (apt-get install openssh-server)")
    with tempfile.TemporaryDirectory(prefix="bench_remote_") as tmp:
        folder = Path(tmp)
        os.environ["RUNICORN_CONFIG_DIR"] = str(folder / "config")
        rows = asyncio.run(bench(args, folder))
    cpu = platform.processor() or platform.machine()
    print(f"\nremote viewing — {platform.system()} {cpu}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, asyncssh {asyncssh.__version__}")  # fmt: skip
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"  {name.ljust(width)}  {value:>14}  {note}")


if __name__ == "__main__":
    main()
