import os
import subprocess
import sys
import textwrap
import threading
import warnings

import pytest

from runicorn.console import (
    ConsoleCapture,
    collapse_carriage_returns,
    start_console_capture,
    strip_screen_controls,
)

# What tqdm 4.67.1 writes, one string per write() call, for
# `for _ in tqdm(range(3), desc="train", mininterval=0)` on a UTF-8 stream.
TQDM_WRITES = [
    "\rtrain:   0%|          | 0/3 [00:00<?, ?it/s]",
    "\rtrain:  33%|███▎      | 1/3 [00:00<00:00, 110376.42it/s]",
    "\rtrain:  67%|██████▋   | 2/3 [00:00<00:00, 18783.76it/s] ",
    "\rtrain: 100%|██████████| 3/3 [00:00<00:00, 21276.58it/s]",
    "",
    "\rtrain: 100%|██████████| 3/3 [00:00<00:00, 15689.42it/s]",
    "\n",
]
TQDM_FINAL_LINE = "train: 100%|██████████| 3/3 [00:00<00:00, 15689.42it/s]\n"

# The same with leave=False: the bar is cleared with spaces and the cursor returned.
TQDM_NO_LEAVE_WRITES = [
    "\r  0%|          | 0/2 [00:00<?, ?it/s]",
    "\r 50%|█████     | 1/2 [00:00<00:00, 209715.20it/s]",
    "\r100%|██████████| 2/2 [00:00<00:00, 47220.64it/s] ",
    "",
    "\r                                                ",
    "\r",
]


def feed_all(chunks, pending=""):
    """Run chunks through collapse_carriage_returns as a stream would, returning (log, pending)."""
    log = []
    for chunk in chunks:
        complete, pending = collapse_carriage_returns(pending, chunk)
        log.append(complete)
    return "".join(log), pending


class Log:
    """The ``write`` callback: collects what would go to logs.txt."""

    def __init__(self):
        self.parts = []

    def __call__(self, text):
        self.parts.append(text)

    @property
    def text(self):
        return "".join(self.parts)


@pytest.fixture
def start_capture():
    """Starts captures inside the test body, after pytest has installed its capsys streams."""
    started = []

    def start():
        log = Log()
        console = ConsoleCapture(log)
        console.start()
        started.append(console)
        return console, log

    yield start
    for console in started:
        console.stop()


def test_plain_lines_pass_unchanged():
    assert collapse_carriage_returns("", "epoch 1\nepoch 2\n") == ("epoch 1\nepoch 2\n", "")


def test_partial_line_is_held_until_its_newline():
    assert collapse_carriage_returns("", "loss=") == ("", "loss=")
    assert collapse_carriage_returns("loss=", "0.5\nacc=") == ("loss=0.5\n", "acc=")


def test_tqdm_bar_collapses_to_its_final_state():
    log, pending = feed_all(TQDM_WRITES)

    assert log == TQDM_FINAL_LINE
    assert pending == ""


def test_cleared_tqdm_bar_leaves_only_the_following_text():
    log, pending = feed_all([*TQDM_NO_LEAVE_WRITES, "done\n"])

    assert log == "done\n"
    assert pending == ""


def test_crlf_is_a_plain_line_ending_even_split_across_writes():
    assert collapse_carriage_returns("", "a\r\nb\r\n") == ("a\nb\n", "")
    assert feed_all(["line\r", "\n"]) == ("line\n", "")


def test_redraws_within_one_write_keep_the_last():
    text = "\rstep 1/3\rstep 2/3\rstep 3/3\nnext\n"

    assert collapse_carriage_returns("", text) == ("step 3/3\nnext\n", "")


def test_unicode_redraws():
    log, _ = feed_all(["\r训练 ▏ 1/2 ", "\r训练 ██ 2/2 ✓\n"])

    assert log == "训练 ██ 2/2 ✓\n"


def test_pending_redraws_stay_small():
    _, pending = feed_all([f"\r{i:>6}/100000" for i in range(100_000)])

    assert pending == "\r 99999/100000"


def test_terminal_sees_every_byte_and_the_log_the_final_lines(start_capture, capsys):
    console, log = start_capture()

    print("epoch 1")
    for chunk in TQDM_WRITES:
        sys.stderr.write(chunk)
        sys.stderr.flush()
    print("epoch 2")
    console.stop()

    terminal = capsys.readouterr()
    assert terminal.out == "epoch 1\nepoch 2\n"
    assert terminal.err == "".join(TQDM_WRITES)
    assert log.text == "epoch 1\n" + TQDM_FINAL_LINE + "epoch 2\n"


def test_stdout_lines_are_logged_while_a_stderr_bar_is_mid_redraw(start_capture, capsys):
    console, log = start_capture()

    sys.stderr.write(TQDM_WRITES[0])
    sys.stderr.write(TQDM_WRITES[1])
    print("validation loss 0.31")
    assert log.text == "validation loss 0.31\n"

    for chunk in TQDM_WRITES[2:]:
        sys.stderr.write(chunk)
    console.stop()

    assert log.text == "validation loss 0.31\n" + TQDM_FINAL_LINE


def test_stop_writes_out_an_unterminated_line(capsys):
    log = Log()
    console = ConsoleCapture(log)
    console.start()

    print("Epoch 3 ...", end="", flush=True)
    sys.stderr.write("\r 10%|█ | 1/10\r 20%|██ | 2/10")
    console.stop()

    assert log.text == "Epoch 3 ...\n 20%|██ | 2/10\n"
    assert capsys.readouterr().out == "Epoch 3 ..."


def test_stop_puts_the_original_streams_back():
    original_out, original_err = sys.stdout, sys.stderr
    console = ConsoleCapture(Log())

    console.start()
    assert sys.stdout is not original_out
    assert sys.stderr is not original_err
    console.stop()

    assert sys.stdout is original_out
    assert sys.stderr is original_err


def test_stop_leaves_a_later_replacement_in_place_and_stops_logging(monkeypatch):
    log = Log()
    console = ConsoleCapture(log)
    console.start()
    ours = sys.stdout

    class Prefixer:
        """Another tool wrapping whatever stdout it found, installed after us."""

        def __init__(self, inner):
            self.inner = inner

        def write(self, text):
            return self.inner.write(text)

        def flush(self):
            self.inner.flush()

    later = Prefixer(ours)
    monkeypatch.setattr(sys, "stdout", later)
    console.stop()

    assert sys.stdout is later
    print("after stop")
    assert "after stop" not in log.text


def test_stream_attributes_are_the_original_streams(tmp_path, monkeypatch):
    with (tmp_path / "out.txt").open("w", encoding="utf-8") as file:
        monkeypatch.setattr(sys, "stdout", file)
        console = ConsoleCapture(Log())
        console.start()
        try:
            assert sys.stdout is not file
            assert sys.stdout.fileno() == file.fileno()
            assert sys.stdout.isatty() is False
            assert sys.stdout.encoding == "utf-8"
            assert sys.stdout.errors == file.errors
            assert sys.stdout.buffer is file.buffer
            assert sys.stdout.closed is False
            sys.stdout.writelines(["a\n", "b\n"])
            sys.stdout.flush()
        finally:
            console.stop()
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == "a\nb\n"


def test_lines_printed_from_many_threads_arrive_whole(start_capture, capsys):
    console, log = start_capture()
    threads_count, lines_each = 8, 300

    def worker(number):
        for line in range(lines_each):
            sys.stdout.write(f"worker {number} line {line}\n")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    console.stop()

    expected = {f"worker {n} line {i}" for n in range(threads_count) for i in range(lines_each)}
    logged = log.text.splitlines()
    assert len(logged) == len(expected)
    assert set(logged) == expected


def test_failing_log_write_never_breaks_print(capsys):
    def broken_write(text):
        raise OSError("No space left on device")

    console = ConsoleCapture(broken_write)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        console.start()
        try:
            print("first")
            print("second")
        finally:
            console.stop()

    assert capsys.readouterr().out == "first\nsecond\n"
    assert len(caught) == 1
    assert "No space left on device" in str(caught[0].message)


def test_failing_log_write_under_warnings_as_errors_never_breaks_print(capsys):
    def broken_write(text):
        raise OSError("disk gone")

    console = ConsoleCapture(broken_write)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        console.start()
        try:
            print("still shown")
        finally:
            console.stop()

    assert capsys.readouterr().out == "still shown\n"


def test_log_writer_that_prints_does_not_loop(capsys):
    log = Log()

    def chatty_write(text):
        log(text)
        print(f"[logged {len(text)} chars]")

    console = ConsoleCapture(chatty_write)
    console.start()
    try:
        print("hello")
    finally:
        console.stop()

    assert log.text == "hello\n"
    assert capsys.readouterr().out == "hello\n[logged 6 chars]\n"


def test_start_twice_tees_once(capsys):
    log = Log()
    console = ConsoleCapture(log)
    console.start()
    console.start()
    try:
        print("once")
    finally:
        console.stop()

    assert log.text == "once\n"
    assert capsys.readouterr().out == "once\n"


def test_real_tqdm_in_a_real_process_logs_one_line_per_bar(tmp_path):
    pytest.importorskip("tqdm")
    log_path = tmp_path / "logs.txt"
    script = textwrap.dedent(
        f"""
        import io, sys
        from tqdm import tqdm
        from runicorn.console import ConsoleCapture

        log = open({str(log_path)!r}, "w", encoding="utf-8")
        console = ConsoleCapture(log.write)
        console.start()
        print("starting")
        for _ in tqdm(range(200), desc="epoch 1", mininterval=0, ncols=80):
            pass
        for _ in tqdm(range(50), desc="eval", mininterval=0, ncols=80, leave=False):
            pass
        print("done ✓")
        console.stop()
        log.close()
        """
    )

    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        timeout=60,
        check=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )

    terminal = result.stderr.decode("utf-8")
    assert terminal.count("\r") > 200
    assert result.stdout.decode("utf-8") == "starting\ndone ✓\n"
    lines = log_path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "starting"
    assert lines[1].startswith("epoch 1: 100%|")
    assert "200/200" in lines[1]
    assert lines[2:] == ["done ✓"]
    assert "\r" not in log_path.read_text(encoding="utf-8")


# What tqdm 4.67.1 writes for a bar at position=1 inside an outer bar: each redraw goes one line
# down, draws, and moves the cursor back up with ESC[A.
NESTED_TQDM_WRITES = [
    "\repoch:   0%|          | 0/2 [00:00<?, ?it/s]",
    "\n",
    "\rbatch:   0%|          | 0/3 [00:00<?, ?it/s]",
    "\x1b[A",
    "\n",
    "\rbatch:  67%|██████▋   | 2/3 [00:00<00:00, 16726.05it/s]",
    "\x1b[A",
    "\n",
    "\rbatch: 100%|██████████| 3/3 [00:00<00:00, 12645.10it/s]",
    "\x1b[A",
    "\repoch: 100%|██████████| 2/2 [00:00<00:00, 606.11it/s]",
    "\n",
]


def test_nested_tqdm_bars_leave_no_cursor_codes_and_one_line_per_bar(capsys):
    log = Log()
    console = ConsoleCapture(log)
    console.start()
    try:
        for chunk in NESTED_TQDM_WRITES:
            sys.stderr.write(chunk)
    finally:
        console.stop()
    assert capsys.readouterr().err == "".join(NESTED_TQDM_WRITES), "the terminal is unchanged"
    assert "\x1b" not in log.text
    assert log.text == (
        "epoch:   0%|          | 0/2 [00:00<?, ?it/s]\n"
        "epoch: 100%|██████████| 2/2 [00:00<00:00, 606.11it/s]\n"
    )


def test_screen_controls_are_stripped_but_colours_kept():
    text = "\x1b[2K\x1b[1Gval/acc \x1b[32m0.91\x1b[0m\x1b[?25l\x1b[3B"
    assert strip_screen_controls(text) == "val/acc \x1b[32m0.91\x1b[0m"


def test_streams_that_are_not_the_descriptors_fall_back_to_the_stream_tee(capsys):
    log = Log()
    console = start_console_capture(log)
    try:
        print("train/loss 0.5")
    finally:
        console.stop()
    assert isinstance(console, ConsoleCapture), "pytest's capture streams are not fd 1 and 2"
    assert log.text == "train/loss 0.5\n"
    assert capsys.readouterr().out == "train/loss 0.5\n"


def test_descriptor_capture_restores_the_descriptors_and_logs_children(tmp_path):
    log_path = tmp_path / "logs.txt"
    script = textwrap.dedent(
        f"""
        import os, sys
        from runicorn.console import FileDescriptorCapture, start_console_capture

        def identity(fd):
            info = os.fstat(fd)
            return info.st_dev, info.st_ino

        before = identity(1), identity(2)
        log = open({str(log_path)!r}, "w", encoding="utf-8")
        console = start_console_capture(log.write)
        assert isinstance(console, FileDescriptorCapture), console
        assert identity(1) != before[0]
        print("parent line", flush=True)
        child = os.fork()
        if child == 0:
            os.write(2, b"forked child line\\n")
            os._exit(0)
        os.waitpid(child, 0)
        sys.stdout.write("unterminated")
        console.stop()
        log.close()
        assert (identity(1), identity(2)) == before, "descriptors restored"
        print("after stop")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "parent line\nunterminatedafter stop\n"
    assert result.stderr == "forked child line\n"
    logged = log_path.read_text(encoding="utf-8").splitlines()
    assert sorted(logged) == ["forked child line", "parent line", "unterminated"]
