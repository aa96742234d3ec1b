"""The runtime's chat format (runtime/text/ChatFormat.cpp, through axe-chat-template) against transformers.

Each conversation of test/data/chat_conversations.json is rendered twice: by transformers'
apply_chat_template over test/data/qwen3_5_chat_template.jinja, the Qwen3.5 template written from
the model spec, and by axe-chat-template. The two must be the same bytes. Tool-call arguments sent
as OpenAI's JSON strings are decoded first, as vLLM does before it applies a template; the C++
renderer decodes them itself.
"""
import copy
import json
import subprocess
from pathlib import Path

import pytest
from tokenizers import Tokenizer, models
from transformers import PreTrainedTokenizerFast

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = (ROOT / "test/data/qwen3_5_chat_template.jinja").read_text(encoding="utf-8")
CONVERSATIONS = json.loads((ROOT / "test/data/chat_conversations.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    # apply_chat_template needs a tokenizer object; with tokenize=False its vocabulary never matters.
    return PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.WordLevel({"[UNK]": 0}, unk_token="[UNK]")))


def decode_arguments(messages: list) -> list:
    """What vLLM does to assistant tool calls before rendering: JSON-string arguments become dicts, null or "" {}."""
    messages = copy.deepcopy(messages)
    for message in messages:
        if message.get("role") != "assistant" or not isinstance(message.get("tool_calls"), list):
            continue
        for call in message["tool_calls"]:
            fn = call.get("function", call)
            if "arguments" not in fn:
                continue
            if fn["arguments"] is None or fn["arguments"] == "":
                fn["arguments"] = {}
            elif isinstance(fn["arguments"], str):
                fn["arguments"] = json.loads(fn["arguments"])
    return messages


def reference(tokenizer, case: dict) -> str:
    kwargs = {"enable_thinking": case["enable_thinking"]} if "enable_thinking" in case else {}
    return tokenizer.apply_chat_template(decode_arguments(case["messages"]), tools=case.get("tools"),
                                         chat_template=TEMPLATE, tokenize=False,
                                         # axe's default, where transformers' is False
                                         add_generation_prompt=case.get("add_generation_prompt", True), **kwargs)


def render(tool: Path, request) -> subprocess.CompletedProcess:
    data = request if isinstance(request, bytes) else json.dumps(request, ensure_ascii=False).encode()
    return subprocess.run([str(tool)], input=data, capture_output=True, timeout=60)


def test_the_set_covers_enough():
    names = [case["name"] for case in CONVERSATIONS]
    assert len(names) >= 20 and len(set(names)) == len(names)


@pytest.mark.parametrize("case", CONVERSATIONS, ids=[case["name"] for case in CONVERSATIONS])
def test_matches_transformers(axe_chat_template, tokenizer, case):
    expected = reference(tokenizer, case)
    request = {key: value for key, value in case.items() if key != "name"}
    result = render(axe_chat_template, request)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b""
    assert result.stdout.decode("utf-8") == expected


# (request, what the one-line error says, whether the reference template rejects it too)
ERRORS = [
    ({"messages": [{"role": "bot", "content": "hi"}]}, "messages[0]: unknown role 'bot'", True),
    ({"messages": [{"role": "user", "content": "hi"}, {"role": "system", "content": "late"}]},
     "messages[1]: a system message must be the first message", True),
    ({"messages": [{"role": "user", "content": 42}]}, "messages[0].content must be a string, an array", True),
    ({"messages": [{"role": "user", "content": {"text": "hi"}}]}, "not an object", True),
    ({"messages": [{"role": "user", "content": [{"type": "audio", "audio": "x"}]}]},
     "messages[0].content[0]: a content part of type 'audio' is not supported", True),
    ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}]},
     "messages[0].content[0]: image input is not supported", False),
    ({"messages": [{"role": "user"}, {"content": "no role"}]}, "messages[1] has no role", True),
    ({"messages": [{"role": "system", "content": "only a system prompt"}]}, "messages have no user query", True),
    ({"messages": []}, "messages is empty", False),
    ({"messages": [{"role": "user", "content": "hi"}, {"role": "tool", "content": "out of nowhere"}]},
     "messages[1]: a tool message must follow an assistant message with tool_calls", False),
    ({"messages": [{"role": "user", "content": "hi"},
                   {"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": "{not json"}}]}]},
     "messages[1].tool_calls[0].function.arguments: malformed JSON", False),
    ({"messages": [{"role": "user", "content": "hi"},
                   {"role": "assistant", "tool_calls": [{"function": {"arguments": {}}}]}]},
     "messages[1].tool_calls[0].function.name must be a non-empty string", True),
    ({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "a", "reasoning_content": 3}]},
     "messages[1].reasoning_content must be a string", False),
    ({"messages": [{"role": "user", "content": "hi"}], "tools": {"type": "function"}}, "tools must be an array", False),
    ({"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "retrieval"}]},
     "tools[0]: only function tools are supported", False),
    ({"messages": [{"role": "user", "content": "hi"}], "enable_thinking": "no"},
     "'enable_thinking' must be true or false", False),
    ({"messages": [{"role": "user", "content": "hi"}], "enable_thinkng": False}, "unknown key 'enable_thinkng'", False),
    ({"tools": []}, "no \"messages\"", False),
    # Nested far past any schema (and past what a recursive copy survives): refused, not a crash.
    (b'{"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [{"function": '
     b'{"name": "f", "arguments": {"a": ' + b"[" * 100000 + b"]" * 100000 + b'}}}]}]}',
     "messages[1].tool_calls[0].function.arguments.a: JSON nested deeper than 256 levels", False),
    (b'{"messages": [', "stdin: malformed JSON", False),
]


@pytest.mark.parametrize("request_, message, template_rejects", ERRORS, ids=[e[1][:40] for e in ERRORS])
def test_bad_input_is_one_clear_line(axe_chat_template, tokenizer, request_, message, template_rejects):
    result = render(axe_chat_template, request_)
    stderr = result.stderr.decode()
    assert result.returncode == 1, stderr
    assert result.stdout == b""
    assert stderr.startswith("axe-chat-template: error: ") and stderr.endswith("\n") and stderr.count("\n") == 1
    assert message in stderr
    if template_rejects:
        # The reference rejects these too: axe is not stricter than the model's format here.
        with pytest.raises(Exception):
            tokenizer.apply_chat_template(request_["messages"], tools=request_.get("tools"), chat_template=TEMPLATE,
                                          tokenize=False, add_generation_prompt=True)


def random_conversation(rng) -> dict:
    """A conversation built from pieces that stress the format: whitespace Python strips (and some it
    keeps), <think> tags, tool-response look-alikes, tool calls with every kind of argument."""
    pieces = ["", " ", "\n", "\n\n", "\t", "\u3000", "\u00a0", "\u200b", "\x1c", "\x85", "a", "b c", "é", "😀",
              "<think>", "</think>", "<tool_response>", "</tool_response>", "<|im_end|>", "\"q\"", "\\"]

    def text():
        return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))

    def content():
        kind = rng.random()
        if kind < 0.1:
            return None
        if kind < 0.25:
            return [{"type": "text", "text": text()} for _ in range(rng.randint(0, 3))]
        return text()

    def value(depth=0):
        kind = rng.randint(0, 8 if depth < 2 else 5)
        return [lambda: text(), lambda: rng.randint(-10**18, 10**18), lambda: rng.choice([0.1, -0.0, 1e-7, 1e22, 3.0]),
                lambda: rng.uniform(-1e6, 1e6), lambda: rng.choice([True, False]), lambda: None,
                lambda: [value(depth + 1) for _ in range(rng.randint(0, 3))],
                lambda: {text() or "k": value(depth + 1) for _ in range(rng.randint(0, 3))},
                lambda: json.dumps({"nested": value(depth + 1)})][kind]()

    def call(i):
        args = {rng.choice(["city", "q", "n", "x y", "é"]) + str(j): value() for j in range(rng.randint(0, 4))}
        if rng.random() < 0.3:
            args = json.dumps(args)  # OpenAI's form
        fn = {"name": rng.choice(["f", "get_weather", "now"]), "arguments": args}
        return {"id": f"c{i}", "type": "function", "function": fn} if rng.random() < 0.8 else fn

    messages = [{"role": "system", "content": content()}] if rng.random() < 0.5 else []
    for _ in range(rng.randint(1, 6)):
        messages.append({"role": "user", "content": content()})
        if rng.random() < 0.8:
            m = {"role": "assistant", "content": content()}
            r = rng.random()
            if r < 0.3:
                m["reasoning_content"] = text()
            elif r < 0.4:
                m["reasoning_content"] = None
            if rng.random() < 0.4:
                m["tool_calls"] = [call(i) for i in range(rng.randint(1, 3))]
                messages.append(m)
                messages += [{"role": "tool", "tool_call_id": f"c{i}", "content": content()}
                             for i in range(rng.randint(1, 3))]
            else:
                messages.append(m)
    tools = [{"type": "function", "function": {"name": f"t{i}", "description": text(),
                                                "parameters": {"type": "object", "properties": {"p": value()}}}}
             for i in range(rng.randint(0, 2))]
    case = {"messages": messages, "add_generation_prompt": rng.random() < 0.7}
    if tools or rng.random() < 0.5:
        case["tools"] = tools
    if rng.random() < 0.7:
        case["enable_thinking"] = rng.random() < 0.5
    return case


def test_random_conversations_match(axe_chat_template, tokenizer):
    import random

    rng = random.Random(20240611)
    rendered = 0
    for i in range(300):
        case = random_conversation(rng)
        try:
            expected = reference(tokenizer, case)
        except Exception:
            expected = None  # the reference rejects it (no user query): so must axe
        result = render(axe_chat_template, case)
        context = json.dumps(case, ensure_ascii=False)
        if expected is None:
            assert result.returncode == 1, context
        else:
            assert result.returncode == 0, context + "\n" + result.stderr.decode()
            assert result.stdout.decode("utf-8") == expected, context
            rendered += 1
    assert rendered > 200
