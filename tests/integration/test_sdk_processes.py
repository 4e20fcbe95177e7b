"""The SDK in real training processes: kills, signals, crashes, full disks, concurrency."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from runicorn.storage.backends import HybridStorageBackend
from runicorn.storage.jsonio import loads, read_json

FLUSH_INTERVAL = 0.2


def script_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        RUNICORN_DIR=str(root),
        RUNICORN_FLUSH_INTERVAL=str(FLUSH_INTERVAL),
        RUNICORN_HEARTBEAT_INTERVAL="0.5",
        PYTHONUNBUFFERED="1",
    )
    return env


def launch(root: Path, body: str, **kwargs: object) -> subprocess.Popen[str]:
    code = "import runicorn as rn, time, sys\n" + textwrap.dedent(body)
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=script_env(root),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,  # type: ignore[call-overload]
    )


def only_run(root: Path) -> Path:
    runs = [p for p in root.glob("*/*/runs/*") if p.is_dir()]
    assert len(runs) == 1, runs
    return runs[0]


def event_lines(run_path: Path) -> tuple[list[dict[str, object]], bytes]:
    """Every complete line parsed (failing on any corrupt one), and the torn tail if any."""
    raw = (run_path / "events.jsonl").read_bytes()
    body, _, tail = raw.rpartition(b"\n")
    events = [loads(line) for line in body.split(b"\n") if line]
    return events, tail


def wait_for_line(process: subprocess.Popen[str], prefix: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith(prefix):
            return line
        if not line and process.poll() is not None:
            break
    raise AssertionError(
        f"no {prefix!r} line; stderr: {process.stderr.read() if process.stderr else ''}"
    )


def wait_for_json(path: Path, timeout: float = 60.0) -> dict[str, object]:
    """A JSON file another process writes when it is ready (environment.json comes late)."""
    deadline = time.monotonic() + timeout
    while not path.is_file():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.1)
    document = read_json(path)
    assert isinstance(document, dict)
    return document


LOG_AT_1KHZ = """
run = rn.init(project="p", name="killed", capture_console=False)
print("started", run.id, flush=True)
step = 0
while True:
    step += 1
    run.log({"loss": 1.0 / step, "step_copy": step})
    if step % 100 == 0:
        print("logged", step, time.time(), flush=True)
    time.sleep(0.001)
"""


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_loses_at_most_the_last_flush_interval_and_never_corrupts(
    root: Path, seed: int
) -> None:
    process = launch(root, LOG_AT_1KHZ)
    wait_for_line(process, "started")
    time.sleep(random.Random(seed).uniform(0.5, 1.5))
    reports: list[tuple[int, float]] = []
    os.kill(process.pid, signal.SIGKILL)
    killed_at = time.time()
    out, _ = process.communicate(timeout=10)
    for line in out.splitlines():
        if line.startswith("logged"):
            _, step, at = line.split()
            reports.append((int(step), float(at)))

    events, _tail = event_lines(only_run(root))
    steps = [e["data"]["global_step"] for e in events if e["type"] == "metrics"]  # type: ignore[index]
    assert steps == list(range(1, len(steps) + 1)), "complete lines are contiguous and uncorrupted"
    # Everything logged over a flush interval (plus scheduling slack) before the kill is on disk.
    safe = [step for step, at in reports if at < killed_at - FLUSH_INTERVAL - 0.3]
    if safe:
        assert len(steps) >= max(safe)

    with HybridStorageBackend(root) as backend:
        (record,), _ = backend.list_runs()
    assert record.status == "crashed"


def test_sigterm_marks_interrupted_with_everything_flushed(root: Path) -> None:
    process = launch(root, LOG_AT_1KHZ.replace("if step % 100 == 0", "if True"))
    wait_for_line(process, "started")
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=20)
    assert process.returncode == -signal.SIGTERM, err
    last_logged = max(
        int(line.split()[1]) for line in out.splitlines() if line.startswith("logged")
    )

    run_path = only_run(root)
    events, tail = event_lines(run_path)
    steps = [e["data"]["global_step"] for e in events if e["type"] == "metrics"]  # type: ignore[index]
    assert tail == b""
    assert steps == list(range(1, len(steps) + 1)) and len(steps) >= last_logged
    status = read_json(run_path / "status.json")
    assert status["status"] == "interrupted" and status["exit_reason"] == "SIGTERM"


def test_uncaught_exception_marks_failed_and_keeps_the_traceback(root: Path) -> None:
    process = launch(
        root,
        """
        run = rn.init(project="p", name="boom")
        run.log({"loss": 1.0})
        raise RuntimeError("exploded at step 1")
        """,
    )
    _, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert "exploded at step 1" in err, "the terminal still shows the traceback"
    run_path = only_run(root)
    status = read_json(run_path / "status.json")
    assert status["status"] == "failed" and status["exit_reason"] == "RuntimeError"
    logs = (run_path / "logs.txt").read_text()
    assert "Traceback" in logs and "RuntimeError: exploded at step 1" in logs


def test_ctrl_c_marks_interrupted(root: Path) -> None:
    process = launch(root, LOG_AT_1KHZ)
    wait_for_line(process, "started")
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=20)
    status = read_json(only_run(root) / "status.json")
    assert status["status"] == "interrupted" and status["exit_reason"] == "KeyboardInterrupt"


def test_script_that_ends_without_finish_is_finished_at_exit(root: Path) -> None:
    process = launch(root, 'rn.init(project="p", name="n"); rn.log({"a": 1.0}); print("bye")')
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    run_path = only_run(root)
    assert read_json(run_path / "status.json")["status"] == "finished"
    assert "bye" in (run_path / "logs.txt").read_text()


def test_live_run_stays_running_while_its_heartbeat_is_fresh(root: Path) -> None:
    process = launch(
        root,
        """
        run = rn.init(project="p", name="slow", capture_console=False)
        print("started", flush=True)
        for _ in range(40):
            run.log({"a": 1.0})
            time.sleep(0.1)
        """,
    )
    wait_for_line(process, "started")
    try:
        time.sleep(2.0)  # four heartbeat intervals
        with HybridStorageBackend(root) as backend:
            (record,), _ = backend.list_runs()
        assert record.status == "running"
        assert record.metrics["a"].count > 5, "the index follows a live run"
    finally:
        process.kill()
        process.communicate()


def test_eight_processes_logging_to_one_root(root: Path) -> None:
    body = """
        run = rn.init(project="swarm", name=f"worker{sys.argv[1]}", capture_console=False)
        for step in range(3000):
            run.log({"loss": step * 0.5, "acc": 1.0 / (step + 1), "worker": int(sys.argv[1])})
        run.finish()
    """
    code = "import runicorn as rn, sys\n" + textwrap.dedent(body)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(i)],
            env=script_env(root),
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(8)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
    with HybridStorageBackend(root) as backend:
        records, total = backend.list_runs(project="swarm", limit=None)
    assert total == 8
    for record in records:
        events, _ = event_lines(root / record.path)
        rows = [e["data"] for e in events if e["type"] == "metrics"]
        assert len(rows) == 3000
        assert {row["worker"] for row in rows} == {int(record.name.removeprefix("worker"))}  # type: ignore[index]
        assert record.status == "finished"
        assert record.metrics["loss"].count == 3000 and record.metrics["loss"].max == 2999 * 0.5


def test_full_disk_mid_run_keeps_training_and_writes_everything_later(root: Path) -> None:
    """RLIMIT_FSIZE makes writes past a size fail for real, partial writes included."""
    process = launch(
        root,
        """
        import resource, signal, warnings
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        run = rn.init(project="p", name="full", capture_console=False, system_metrics=False)
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (30_000, hard))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for step in range(3000):
                run.log({"loss": float(step), "padding": 123456.789})
                if step % 500 == 0:
                    time.sleep(0.3)
            print("warnings", len([w for w in caught if "cannot write" in str(w.message)]))
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
            run.finish()
        print("done", flush=True)
        """,
    )
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "warnings 1" in out and "done" in out
    events, tail = event_lines(only_run(root))
    steps = [e["data"]["global_step"] for e in events if e["type"] == "metrics"]  # type: ignore[index]
    assert tail == b""
    assert steps == list(range(1, 3001))


def test_console_is_captured_with_progress_bars_collapsed(root: Path) -> None:
    process = launch(
        root,
        r"""
        run = rn.init(project="p", name="console")
        print("epoch 1")
        for pct in (0, 50, 100):
            sys.stderr.write(f"\rprogress {pct:3d}%")
        sys.stderr.write("\n")
        print("done")
        run.finish()
        """,
    )
    out, err = process.communicate(timeout=30)
    assert out == "epoch 1\ndone\n", "the terminal still shows everything"
    assert err.count("progress") == 3, "every redraw reached the terminal"
    logs = (only_run(root) / "logs.txt").read_text()
    assert "progress 100%" in logs and "progress  50%" not in logs
    assert "epoch 1" in logs and "done" in logs


def test_forked_children_that_exit_or_are_terminated_leave_the_run_alone(root: Path) -> None:
    """DataLoader workers and pools fork the training process, hooks and all."""
    process = launch(
        root,
        """
        import json, os, signal
        run = rn.init(project="p", name="fork", capture_console=False)
        run.log({"a": 1.0})
        child = os.fork()
        if child == 0:
            sys.exit(0)  # a normal exit runs the inherited atexit hook
        os.waitpid(child, 0)
        ready, ready_w = os.pipe()
        child = os.fork()
        if child == 0:
            os.write(ready_w, b"x")
            time.sleep(30)
            os._exit(0)
        os.read(ready, 1)  # a signal that lands mid-fork is dropped by the child's runtime
        os.kill(child, signal.SIGTERM)  # runs the inherited SIGTERM hook
        os.waitpid(child, 0)
        print("after children", json.load(open(run.path / "status.json"))["status"], flush=True)
        run.log({"a": 2.0})
        run.finish()
        """,
    )
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "after children running" in out
    run_path = only_run(root)
    assert read_json(run_path / "status.json")["status"] == "finished"
    events, _ = event_lines(run_path)
    assert [e["data"]["a"] for e in events if e["type"] == "metrics"] == [1.0, 2.0]  # type: ignore[index]


def test_environment_is_recorded_for_the_training_script(root: Path, tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(
        "import runicorn as rn\n"
        "run = rn.init(project='p', name='env', capture_console=False)\n"
        "run.log({'a': 1.0})\n"
        "run.finish()\n"
    )
    process = subprocess.run(
        [sys.executable, str(script), "--lr", "0.1"],
        env=script_env(root),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert process.returncode == 0, process.stderr
    environment = wait_for_json(only_run(root) / "environment.json")
    assert environment["command"] == {"argv": [str(script), "--lr", "0.1"], "cwd": str(tmp_path)}
    assert environment["python"]["executable"] == sys.executable
    assert "runicorn" in environment["packages"] and "orjson" in environment["packages"]


@pytest.mark.parametrize(
    ("exit_call", "code"),
    [("sys.exit(1)", 1), ("sys.exit(3)", 3), ("sys.exit('CUDA out of memory')", 1)],
)
def test_sys_exit_with_a_nonzero_code_marks_the_run_failed_with_the_code(
    root: Path, exit_call: str, code: int
) -> None:
    process = launch(
        root,
        f"""
        run = rn.init(project="vision", name="resnet50", config={{"batch_size": 256}})
        run.log({{"train/loss": 2.31}})
        {exit_call}
        """,
    )
    process.communicate(timeout=30)
    assert process.returncode == code
    status = read_json(only_run(root) / "status.json")
    assert status["status"] == "failed" and status["exit_code"] == code
    with HybridStorageBackend(root) as backend:
        assert backend.get_run(only_run(root).name).status == "failed"


@pytest.mark.parametrize("exit_call", ["sys.exit(0)", "sys.exit()", "sys.exit(None)"])
def test_sys_exit_with_code_zero_marks_the_run_finished(root: Path, exit_call: str) -> None:
    process = launch(
        root,
        f"""
        run = rn.init(project="vision", name="resnet50")
        run.log({{"train/loss": 2.31}})
        {exit_call}
        """,
    )
    process.communicate(timeout=30)
    assert process.returncode == 0
    status = read_json(only_run(root) / "status.json")
    assert status["status"] == "finished" and "exit_code" not in status


def test_sys_exit_inside_a_with_block_records_the_code(root: Path) -> None:
    process = launch(
        root,
        """
        with rn.init(project="nlp", name="bert") as run:
            run.log({"val/acc": 0.5})
            sys.exit(2)
        """,
    )
    process.communicate(timeout=30)
    assert process.returncode == 2
    status = read_json(only_run(root) / "status.json")
    assert status["status"] == "failed" and status["exit_code"] == 2


def test_sys_exit_in_a_worker_thread_does_not_fail_the_run(root: Path) -> None:
    process = launch(
        root,
        """
        import threading
        run = rn.init(project="nlp", name="bert")
        worker = threading.Thread(target=sys.exit, args=(4,))
        worker.start(); worker.join()
        run.log({"val/acc": 0.5})
        """,
    )
    process.communicate(timeout=30)
    assert process.returncode == 0
    assert read_json(only_run(root) / "status.json")["status"] == "finished"


def test_finish_does_not_wait_for_the_environment_capture(root: Path, tmp_path: Path) -> None:
    """A slow git (a network share, a huge repository) must not hold up the end of a run."""
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    slow_bin = tmp_path / "bin"
    slow_bin.mkdir()
    real_git = subprocess.run(["which", "git"], capture_output=True, text=True).stdout.strip()
    (slow_bin / "git").write_text(f'#!/bin/sh\nsleep 1\nexec {real_git} "$@"\n')
    (slow_bin / "git").chmod(0o755)
    env = script_env(root)
    env["PATH"] = f"{slow_bin}{os.pathsep}{env['PATH']}"
    code = textwrap.dedent(
        """
        import time, runicorn as rn
        run = rn.init(project="vision", name="resnet50", capture_console=False)
        for step in range(100):
            run.log({"train/loss": 1.0 / (step + 1), "val/acc": step / 100})
        start = time.perf_counter()
        run.finish()
        print("finish took", time.perf_counter() - start, flush=True)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=repo, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    took = float(done.stdout.split()[-1])
    assert took < 0.9, f"finish() waited {took:.2f} s for the environment capture"
    run_path = only_run(root)
    assert read_json(run_path / "status.json")["status"] == "finished"
    environment = wait_for_json(run_path / "environment.json")
    git = environment["git"]
    assert isinstance(git, dict) and git["root"] == str(repo), "git was read, slowly"


def test_every_run_of_a_sweep_process_gets_its_environment(root: Path, tmp_path: Path) -> None:
    process = launch(
        root,
        """
        for lr in (1e-4, 3e-4, 1e-3, 3e-3):
            run = rn.init(project="sweep", name="lr", config={"学习率": lr}, capture_console=False)
            run.log({"train/loss": lr})
            run.finish()
        """,
        cwd=tmp_path,
    )
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    runs = sorted(p for p in root.glob("sweep/lr/runs/*") if p.is_dir())
    assert len(runs) == 4
    for run_path in runs:
        environment = wait_for_json(run_path / "environment.json")
        assert environment["command"]["cwd"] == str(tmp_path)  # type: ignore[index]


WHAT_USERS_PRINT = r"""
import ctypes, logging, multiprocessing, os
logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
log = logging.getLogger("train")
from tqdm import tqdm

def load_batch(index):
    print(f"worker loaded shard {index}", flush=True)
    return index

run = rn.init(project="vision", name="resnet50", config={"batch_size": 256})
print("epoch 1 starting")
log.info("学习率 = 3e-4")
with multiprocessing.get_context("fork").Pool(2) as pool:
    print("shards", pool.map(load_batch, range(4)))
os.write(1, b"written at fd 1\n")
libc = ctypes.CDLL(None)
libc.puts(b"printed by C code")
libc.fflush(None)
for epoch in tqdm(range(2), desc="epoch", mininterval=0):
    for batch in tqdm(range(5), desc="batch", position=1, leave=False, mininterval=0):
        pass
run.log({"train/loss": 0.5})
run.finish()
print("after finish")
"""


def test_console_capture_sees_workers_early_logging_handlers_and_c_writes(root: Path) -> None:
    process = launch(root, WHAT_USERS_PRINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    logs = (only_run(root) / "logs.txt").read_text()
    for index in range(4):
        assert f"worker loaded shard {index}" in logs, "pool workers' prints are logged"
    assert "INFO train: 学习率 = 3e-4" in logs, "a logging handler made before init is logged"
    assert "written at fd 1" in logs and "printed by C code" in logs
    assert "epoch 1 starting" in logs and "shards [0, 1, 2, 3]" in logs
    assert "\x1b[A" not in logs, "nested bars' cursor codes stay out of the log"
    assert "epoch: 100%" in logs
    assert "after finish" not in logs, "the descriptors are given back at finish"
    for line in ("epoch 1 starting", "written at fd 1", "printed by C code", "after finish"):
        assert line in out, "the terminal shows everything it showed before"
    assert "INFO train: 学习率 = 3e-4" in err and "\x1b[A" in err


def test_console_capture_keeps_a_terminal_a_terminal(root: Path) -> None:
    """On a terminal, programs still see one (colours, widths) and it gets the same bytes."""
    import fcntl
    import select
    import struct
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 123, 0, 0))
    code = textwrap.dedent(
        """
        import os, sys, runicorn as rn
        run = rn.init(project="vision", name="tty", system_metrics=False)
        print("tty", sys.stdout.isatty(), os.get_terminal_size().columns)
        sys.stderr.write("\\x1b[32mval/acc 0.91\\x1b[0m\\n")
        run.finish()
        print("after", sys.stdout.isatty())
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdin=slave, stdout=slave, stderr=slave, env=script_env(root)
    )
    os.close(slave)
    terminal = b""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not select.select([master], [], [], 1.0)[0]:
            if process.poll() is not None:
                break
            continue
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        terminal += data
    os.close(master)
    assert process.wait(timeout=30) == 0
    assert terminal == b"tty True 123\r\n\x1b[32mval/acc 0.91\x1b[0m\r\nafter True\r\n"
    logs = (only_run(root) / "logs.txt").read_text()
    assert logs == "tty True 123\n\x1b[32mval/acc 0.91\x1b[0m\n"
