"""axe-compile on a long job: progress and a closing summary on stderr (-q: none, -v: stage times), `--version` on
every tool, errors that name the next step, and an output that is complete or absent: the temporary directory goes
on an error, on SIGINT/SIGTERM/SIGHUP, and (after a SIGKILL) at the next compile into the same parent.

The signal tests interrupt a compile of the `large` test model (3 GB in) while it writes the weights; they wait for
that point by watching the directory, never by the clock (a generous timeout only catches hangs).
"""
import os
import pty
import re
import resource
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BUILD

TOOLS = ["axe-compile", "axe-opt", "axe-run", "axe-tokenize", "axe-chat-template", "axe-gpu-check"]
SUMMARY = re.compile(r"^axe-compile: wrote \S+ in [\d.]+ s: [\d.]+ [kMG]?B in -> [\d.]+ [kMG]?B out, "
                     r"peak memory [\d.]+ [kMG]?B$", re.M)
HANG = 600  # seconds: only to turn a hang into a failure


@pytest.mark.parametrize("tool", TOOLS)
def test_version(tool):
    path = BUILD / "bin" / tool
    if not path.is_file():
        pytest.skip(f"{path} is not built")
    run = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert re.fullmatch(rf"{tool} \(axe\) \d+\.\d+\.\d+ \(git ([0-9a-f]{{4,}}(-dirty)?|unknown)\)\n", run.stdout), \
        run.stdout


def compile_tiny(axe_compile, models, out: Path, *flags, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(axe_compile), str(models / "tiny"), "-o", str(out), *flags],
                          capture_output=True, text=True, timeout=HANG, **kwargs)


def test_plain_progress_and_summary(axe_compile, models, tmp_path):
    run = compile_tiny(axe_compile, models, tmp_path / "m.axe")
    assert run.returncode == 0, run.stderr
    assert "\r" not in run.stderr and "\033" not in run.stderr  # a pipe gets plain lines
    assert re.search(r"^axe-compile: weights [\d.]+ [kMG]?B in [\d.]+ s", run.stderr, re.M), run.stderr
    assert "hashing" not in run.stderr  # the weights are hashed as they are written
    assert len(SUMMARY.findall(run.stderr)) == 1, run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("axe-compile: wrote "), run.stderr


def test_quiet_and_verbose(axe_compile, models, tmp_path):
    quiet = compile_tiny(axe_compile, models, tmp_path / "q.axe", "-q")
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    assert (tmp_path / "q.axe" / "manifest.json").is_file()
    verbose = compile_tiny(axe_compile, models, tmp_path / "v.axe", "-v")
    assert verbose.returncode == 0, verbose.stderr
    for stage in ["importing", "precision passes", "weights", "compiling the CPU kernels",
                  "manifest and tokenizer files", "flushing to disk"]:
        assert re.search(rf"^axe-compile: {stage}: [\d.]+ s$", verbose.stderr, re.M), (stage, verbose.stderr)
    assert SUMMARY.search(verbose.stderr), verbose.stderr
    both = compile_tiny(axe_compile, models, tmp_path / "b.axe", "-q", "-v")
    assert both.returncode == 1 and "-q and -v" in both.stderr and not (tmp_path / "b.axe").exists()


def read_pty(fd: int, proc: subprocess.Popen) -> bytes:
    data = b""
    while True:
        ready, _, _ = select.select([fd], [], [], HANG)
        assert ready, "no output before the timeout"
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        data += chunk
    proc.wait(timeout=HANG)
    return data


def test_terminal_progress_is_one_updating_line(axe_compile, models, tmp_path):
    main, child = pty.openpty()
    proc = subprocess.Popen([str(axe_compile), str(models / "tiny"), "-o", str(tmp_path / "m.axe")],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=child)
    os.close(child)
    text = read_pty(main, proc).decode()
    os.close(main)
    assert proc.returncode == 0, text
    # Each update returns to the line's start and clears what a longer one left; the task's last state ends it.
    assert re.search(r"\raxe-compile: weights [^\r\n]* of [^\r\n]*\x1b\[K", text), repr(text)
    assert re.search(r"\raxe-compile: weights [\d.]+ [kMG]?B in [^\r\n]*\x1b\[K\r?\n", text), repr(text)
    assert SUMMARY.search(text.replace("\r\n", "\n")), repr(text)


def test_refuses_ir_on_a_terminal(axe_compile, models, tmp_path):
    main, child = pty.openpty()
    proc = subprocess.Popen([str(axe_compile), str(models / "tiny")], stdin=subprocess.DEVNULL, stdout=child,
                            stderr=subprocess.PIPE, text=True)
    os.close(child)
    out = read_pty(main, proc)
    os.close(main)
    stderr = proc.stderr.read()
    assert proc.returncode == 1 and out == b"", out[:200]
    assert stderr.count("\n") == 1 and stderr.startswith("axe-compile: error: "), stderr
    assert "-o model.axe" in stderr and "--emit=axe -o FILE.mlir" in stderr, stderr


def test_refuses_ir_where_an_artifact_was_meant(axe_compile, models, tmp_path):
    run = compile_tiny(axe_compile, models, tmp_path / "model.mlir")
    assert run.returncode == 1 and run.stderr.count("\n") == 1, run.stderr
    assert "ends in .axe" in run.stderr and "--emit=axe" in run.stderr, run.stderr
    assert list(tmp_path.iterdir()) == []
    ir = compile_tiny(axe_compile, models, tmp_path / "model.mlir", "--emit=axe")
    assert ir.returncode == 0 and "axe." in (tmp_path / "model.mlir").read_text()[:100000], ir.stderr


def test_axe_run_on_a_checkpoint_says_to_compile(axe_run, models):
    run = subprocess.run([str(axe_run), str(models / "tiny"), "--prompt-ids", "1", "--max-tokens", "1"],
                         capture_output=True, text=True, timeout=HANG)
    assert run.returncode == 1 and run.stderr.count("\n") == 1, run.stderr
    assert "is a checkpoint, not an artifact" in run.stderr and "axe-compile" in run.stderr, run.stderr


def test_write_error_leaves_nothing(axe_compile, models, tmp_path):
    """A file-size limit (ulimit -f) makes the weights' write fail part-way, as a full disk would."""
    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 10, resource.RLIM_INFINITY))

    run = compile_tiny(axe_compile, models, tmp_path / "m.axe", preexec_fn=limit)
    assert run.returncode == 1, run.stderr
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("axe-compile: error: "), run.stderr
    assert "weights.safetensors" in run.stderr, run.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> Path:
    """A checkpoint whose compile lasts long enough to be interrupted while writing the weights:
    the `large` test model's layers with 16 experts instead of 104 (0.8 GB, written in seconds)."""
    import large_model
    path = tmp_path_factory.mktemp("medium")
    large_model.write_large(path, text=dict(large_model.LARGE, num_experts=16))
    return path


def start_and_wait_for_weights(axe_compile, model: Path, out: Path) -> tuple[subprocess.Popen, Path]:
    """Starts a compile and returns once it is writing the weights into its temporary directory."""
    proc = subprocess.Popen([str(axe_compile), str(model), "-o", str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + HANG  # a hang guard, not a measurement
    while time.monotonic() < deadline:
        tmps = list(out.parent.glob(out.name + ".tmp-*"))
        if tmps and (tmps[0] / "weights.safetensors.tmp").is_file() and \
                (tmps[0] / "weights.safetensors.tmp").stat().st_size > (64 << 20):
            return proc, tmps[0]
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("the compile never reached the weights")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_signal_leaves_nothing(axe_compile, large, tmp_path, sig):
    out = tmp_path / "large.axe"
    proc, tmp = start_and_wait_for_weights(axe_compile, large, out)
    proc.send_signal(sig)
    proc.wait(timeout=HANG)
    # Died of the signal (a shell shows 128 + n: 130, 143, 129), with no error line about the vanished files.
    stderr = proc.stderr.read()
    assert proc.returncode == -sig, (proc.returncode, stderr)
    assert "error" not in stderr, stderr
    assert list(tmp_path.iterdir()) == []


def test_sigkill_leftover_is_removed_by_the_next_compile(axe_compile, models, large, tmp_path):
    out = tmp_path / "large.axe"
    proc, tmp = start_and_wait_for_weights(axe_compile, large, out)
    proc.kill()
    proc.wait(timeout=HANG)
    assert tmp.is_dir()  # SIGKILL cannot be caught
    # A directory of the same shape whose owner is alive, and one that is the user's, are left alone.
    alive = tmp_path / f"busy.axe.tmp-{os.getpid()}-abcdef"
    alive.mkdir()
    (alive / ".axe-tmp-owner").write_text(f"{os.uname().nodename} {os.getpid()}\n")
    users = tmp_path / "notes.tmp-1-abcdef"
    users.mkdir()
    run = compile_tiny(axe_compile, models, tmp_path / "tiny.axe")
    assert run.returncode == 0, run.stderr
    assert f"removed {tmp}, left by an interrupted run (pid {proc.pid})" in run.stderr, run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, users.name, "tiny.axe"])


def test_everything_is_on_disk_before_the_rename(axe_compile, models, tmp_path):
    """strace shows an fsync of every file and directory of the artifact before the rename, and of the parent after."""
    strace = shutil.which("strace")
    if not strace:
        pytest.skip("strace is not installed")
    log = tmp_path / "strace.log"
    out = tmp_path / "out" / "m.axe"
    out.parent.mkdir()
    # LeakSanitizer cannot run under ptrace: in the ASan build, the rest of ASan still checks.
    env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")
    run = subprocess.run([strace, "-f", "-y", "-e", "trace=fsync,renameat2,rename", "-o", str(log), str(axe_compile),
                          str(models / "tiny"), "-o", str(out), "-q"], capture_output=True, text=True, timeout=HANG,
                         env=env)
    if run.returncode != 0 and "ptrace" in run.stderr and "LeakSanitizer" not in run.stderr:
        pytest.skip("ptrace is not permitted here: " + run.stderr.strip())
    assert run.returncode == 0, run.stderr
    # "PID  call(...)": strace pads the pid column, so split on any run of spaces.
    calls = [line.split(None, 1)[1] for line in log.read_text().splitlines() if " " in line]
    final = [i for i, c in enumerate(calls) if c.startswith("renameat2(") and f'"{out}"' in c]
    assert len(final) == 1 and "RENAME_NOREPLACE" in calls[final[0]], calls
    tmp = re.search(r'"([^"]+\.tmp-\d+-\w{6})"', calls[final[0]]).group(1)
    synced = {re.match(r"fsync\(\d+<([^>]+)>\) = 0", c).group(1) for c in calls[:final[0]] if c.startswith("fsync(")}
    for path in [out, *out.rglob("*")]:
        assert tmp + str(path)[len(str(out)):] in synced, (path, sorted(synced))
    assert any(c.startswith(f"fsync(") and f"<{out.parent}>" in c for c in calls[final[0] + 1:]), calls
