"""Text in, text out on the command line, on `tiny-chat` (its scripted reply: chat_model.REPLY):
`axe-run MODEL --prompt TEXT` streams text with stop strings, and `axe-run chat` keeps a
conversation, shows the thinking, and stops a reply on Ctrl-C without ending."""
import os
import select
import signal
import subprocess
import time

from chat_model import REPLY

PROMPT = "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n"


def test_prompt_streams_text_until_a_stop_string(axe_run, compiled):
    artifact = compiled("tiny-chat", "bf16")
    out = subprocess.run([str(axe_run), str(artifact), "--prompt", PROMPT, "--stop", "Let me", "--threads", "2"],
                         capture_output=True, text=True, check=True)
    assert out.stdout == REPLY.split("Let me")[0] + "\n"
    assert "prompt tokens" in out.stderr
    bad = subprocess.run([str(axe_run), str(artifact), "--prompt", "x", "--prompt-ids", "1"], capture_output=True,
                         text=True)
    assert bad.returncode == 1 and "either --prompt TEXT or --prompt-ids" in bad.stderr


def test_chat_keeps_the_conversation_and_ctrl_c_stops_a_reply(axe_run, compiled):
    artifact = compiled("tiny-chat", "bf16")
    proc = subprocess.Popen([str(axe_run), "chat", str(artifact), "--threads", "2"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdin.write("What is the weather?\nAnd tomorrow?\n")
    proc.stdin.flush()
    time.sleep(3)  # both replies (the scripted one, about 60 tokens each)
    proc.stdin.write("/exit\n")
    proc.stdin.flush()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    reasoning = REPLY.split("\n</think>")[0]
    assert out.count(reasoning) == 2 and out.count("Let me check.") == 2  # two turns, both answered

    # Without thinking the model is off its script and talks until max tokens: interrupt that.
    proc = subprocess.Popen([str(axe_run), "chat", str(artifact), "--threads", "2", "--no-thinking",
                             "--temperature", "1", "--seed", "3", "--max-tokens", "4000"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdin.write("hello\n")
    proc.stdin.flush()
    # Interrupt once the reply is streaming (not at a fixed time: a slow start, as under ASan, would
    # get the signal before the chat handles it).
    seen = b""
    deadline = time.monotonic() + 60
    while len(seen) < 40 and time.monotonic() < deadline:
        if select.select([proc.stdout], [], [], 1)[0]:
            seen += os.read(proc.stdout.fileno(), 4096)
    assert len(seen) >= 40, seen
    proc.send_signal(signal.SIGINT)
    time.sleep(1)
    proc.stdin.write("/exit\n")
    proc.stdin.flush()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "[stopped]" in seen.decode(errors="replace") + out
