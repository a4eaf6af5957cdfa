"""The stand-in server itself, through the official SDK as any client would use it: the
models list, a whole (non-streamed) completion, and a streamed one with usage last."""

from typing import Any

import openai

from tests.llm.standin import StandIn, prompt_tokens, reply_text

MESSAGES = [{"role": "user", "content": "Tell me about rivers."}]
#: What the SDK's typed `messages` parameter takes.
SENT: Any = MESSAGES


def _sdk(standin: StandIn) -> openai.OpenAI:
    return openai.OpenAI(base_url=standin.base_url, api_key="none", max_retries=0)


def test_models_and_a_whole_completion(standin: StandIn) -> None:
    sdk = _sdk(standin)
    assert [m.id for m in sdk.models.list()] == ["standin"]
    reply = sdk.chat.completions.create(model="standin;tokens=5", messages=SENT, seed=3)
    assert reply.choices[0].message.content == reply_text(MESSAGES, 3, 5)[0]
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage is not None
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (
        prompt_tokens(MESSAGES),
        5,
    )


def test_a_streamed_completion_ends_with_its_usage(standin: StandIn) -> None:
    chunks = list(
        _sdk(standin).chat.completions.create(
            model="standin;tokens=4",
            messages=SENT,
            seed=9,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == reply_text(MESSAGES, 9, 4)[0]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 4
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
