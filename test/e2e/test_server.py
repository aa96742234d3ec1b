"""`axe-run serve` against the official openai client, on `tiny-chat` (the real Qwen3.5 vocabulary,
trained to answer every chat turn with one scripted reply: reasoning, content, a tool call).

Greedy decoding makes the model's output known exactly (test/models/chat_model.py REPLY), so the
tests check what the server makes of it: reasoning_content, content, tool_calls with arguments
converted to the schema's types, finish reasons, streaming deltas that add up to the non-streaming
response, logprobs, echo, stop strings, usage; and every kind of bad request, each a 4xx with
OpenAI's error object while the server stays up.
"""
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import openai
import pytest

from chat_model import REPLY

KEY = "test-key"
TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "The weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                   "required": ["city"]}}}]
REASONING, _, AFTER = REPLY.partition("\n</think>\n\n")
CONTENT = AFTER.partition("\n\n<tool_call>")[0]
USER = [{"role": "user", "content": "What is the weather in Paris?"}]


class Server:
    def __init__(self, axe_run: Path, artifact: Path, *flags: str):
        self.proc = subprocess.Popen([str(axe_run), "serve", str(artifact), "--port", "0", "--api-key", KEY,
                                      "--served-model-name", "tiny-chat", "--threads", "2", *flags],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        match = re.match(r"listening on 127\.0\.0\.1:(\d+)", line)
        assert match, line + self.proc.stderr.read()
        self.url = f"http://127.0.0.1:{match.group(1)}"
        self.client = openai.OpenAI(base_url=self.url + "/v1", api_key=KEY, max_retries=0, timeout=120)

    def raw(self, path: str, body=None, headers=None, method=None) -> tuple[int, str]:
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        h = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        h.update(headers or {})
        req = urllib.request.Request(self.url + path, data=data, headers=h, method=method)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)


@pytest.fixture(scope="module")
def server(axe_run, compiled):
    s = Server(axe_run, compiled("tiny-chat", "bf16"), "--reasoning-parser", "qwen3", "--enable-auto-tool-choice",
               "--tool-call-parser", "qwen3_coder", "--max-num-seqs", "16")
    yield s
    assert s.stop() == 0


def test_models_health_and_metrics(server):
    assert [m.id for m in server.client.models.list().data] == ["tiny-chat"]
    assert server.raw("/health")[0] == 200
    status, text = server.raw("/metrics")
    assert status == 200 and "axe:kv_cache_usage_perc" in text and "axe:time_to_first_token_seconds_bucket" in text


def test_chat_reasoning_and_tool_call(server):
    r = server.client.chat.completions.create(model="tiny-chat", messages=USER, tools=TOOLS, temperature=0)
    choice = r.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.reasoning_content == REASONING
    assert choice.message.content == CONTENT
    (call,) = choice.message.tool_calls
    assert call.type == "function" and call.function.name == "get_weather" and call.id.startswith("call_")
    assert json.loads(call.function.arguments) == {"city": "Paris", "days": 3}  # days: the schema's integer
    assert r.usage.completion_tokens > 10 and r.usage.prompt_tokens > 50
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens


def test_chat_streaming_adds_up_to_the_whole(server):
    whole = server.client.chat.completions.create(model="tiny-chat", messages=USER, tools=TOOLS, temperature=0)
    reasoning = content = ""
    calls: dict[int, dict] = {}
    finish = None
    stream = server.client.chat.completions.create(model="tiny-chat", messages=USER, tools=TOOLS, temperature=0,
                                                   stream=True, stream_options={"include_usage": True})
    usage = None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for c in chunk.choices:
            d = c.delta
            reasoning += getattr(d, "reasoning_content", None) or ""
            content += d.content or ""
            for t in d.tool_calls or []:
                call = calls.setdefault(t.index, {"name": "", "arguments": ""})
                call["name"] += t.function.name or "" if t.function else ""
                call["arguments"] += (t.function.arguments or "") if t.function else ""
            finish = c.finish_reason or finish
    assert reasoning == whole.choices[0].message.reasoning_content
    assert content == whole.choices[0].message.content
    assert [(c["name"], c["arguments"]) for c in calls.values()] == \
        [(t.function.name, t.function.arguments) for t in whole.choices[0].message.tool_calls]
    assert finish == "tool_calls"
    assert usage.completion_tokens == whole.usage.completion_tokens


def test_chat_without_tools_keeps_the_markup_as_content(server):
    r = server.client.chat.completions.create(model="tiny-chat", messages=USER, temperature=0, logprobs=True,
                                              top_logprobs=2)
    choice = r.choices[0]
    assert choice.finish_reason == "stop" and not choice.message.tool_calls
    assert choice.message.content.startswith(CONTENT) and "<tool_call>" in choice.message.content
    entries = choice.logprobs.content
    assert len(entries) == r.usage.completion_tokens
    assert all(len(e.top_logprobs) == 2 and e.logprob <= 0 for e in entries)
    assert entries[0].token == entries[0].top_logprobs[0].token  # greedy: the most likely


def test_completions_text_logprobs_echo_and_stop(server):
    prompt = "<|im_start|>user\nWeather?<|im_end|>\n<|im_start|>assistant\n<think>\n"
    r = server.client.completions.create(model="tiny-chat", prompt=prompt, max_tokens=8, temperature=0, logprobs=2)
    assert r.choices[0].finish_reason == "length" and REPLY.startswith(r.choices[0].text)
    assert len(r.choices[0].logprobs.tokens) == 8 == r.usage.completion_tokens
    r = server.client.completions.create(model="tiny-chat", prompt=prompt, max_tokens=30, temperature=0,
                                         stop=["weather"])
    assert r.choices[0].text == REPLY.split("weather")[0] and r.choices[0].finish_reason == "stop"
    # echo with logprobs over token ids (what lm-eval's loglikelihood requests send)
    ids = [1001, 2002, 3003, 4004]
    r = server.client.completions.create(model="tiny-chat", prompt=ids, max_tokens=1, temperature=0, logprobs=1,
                                         echo=True)
    lp = r.choices[0].logprobs
    assert len(lp.tokens) == 5 and lp.token_logprobs[0] is None
    assert all(isinstance(x, float) and x <= 0 for x in lp.token_logprobs[1:])
    streamed = "".join(c.choices[0].text for c in server.client.completions.create(
        model="tiny-chat", prompt=prompt, max_tokens=30, temperature=0, stop=["weather"], stream=True))
    assert streamed == REPLY.split("weather")[0]


def test_seeded_sampling_and_n(server):
    kw = dict(model="tiny-chat", prompt=[5, 6, 7], max_tokens=12, temperature=1.0, seed=42, n=3)
    a = server.client.completions.create(**kw)
    b = server.client.completions.create(**kw)
    assert [c.text for c in a.choices] == [c.text for c in b.choices]
    assert len({c.text for c in a.choices}) > 1


def test_bad_requests_get_4xx_and_the_server_stays_up(server):
    ok = {"model": "tiny-chat", "prompt": "hi", "max_tokens": 2}
    cases = [
        (b"not valid json{{{", None, 400, "not valid JSON"),
        (b"[1, 2]", None, 400, "JSON object"),
        (b"42", None, 400, "JSON object"),
        (b"null", None, 400, "JSON object"),
        (dict(ok, temperature="hot"), None, 400, "'temperature' must be a number"),
        (dict(ok, temperature=9), None, 400, "'temperature' must be in"),
        (dict(ok, top_p=0), None, 400, "'top_p'"),
        (dict(ok, n=10**12), None, 400, "'n' must be in"),
        (dict(ok, n=17), None, 400, "'n' must be in"),
        (dict(ok, model="gpt-9"), None, 404, "does not exist"),
        (dict(ok, prompt=""), None, 400, "the prompt is empty"),
        (dict(ok, prompt=[1, 10**9]), None, 400, "token ids in 'prompt'"),
        (dict(ok, max_tokens=100000), None, 400, "maximum model length"),
        (dict(ok, max_tokens=-1), None, 400, "'max_tokens'"),
        (dict(ok, stop=[""]), None, 400, "stop string"),
        (dict(ok, logprobs=99), None, 400, "'logprobs'"),
        (dict(ok), {"Authorization": "Bearer wrong"}, 401, "API key"),
        (dict(ok), {"Content-Type": "text/plain"}, 415, "application/json"),
        (b"{" + b'"x": "' + b"a" * (17 << 20) + b'"}', None, 413, "exceeds the limit"),
    ]
    for body, headers, status, message in cases:
        got, text = server.raw("/v1/completions", body, headers)
        assert got == status, (body if isinstance(body, dict) else body[:40], text)
        error = json.loads(text)["error"]
        assert message in error["message"], error
    for messages, message in [("hi", "'messages'"), ([{"role": "wizard", "content": "x"}], "role"),
                              ([{"role": "user", "content": 5}], "content")]:
        got, text = server.raw("/v1/chat/completions", {"model": "tiny-chat", "messages": messages})
        assert got == 400 and message in json.loads(text)["error"]["message"], text
    assert server.raw("/v1/nothing", {})[0] == 404
    with pytest.raises(openai.BadRequestError):
        server.client.completions.create(model="tiny-chat", prompt="x", max_tokens=2, presence_penalty=5)
    assert server.raw("/health")[0] == 200
    r = server.client.completions.create(model="tiny-chat", prompt="hi", max_tokens=2)
    assert r.usage.completion_tokens == 2
