"""Stop generation over real HTTP (uvicorn), while the candidates are streaming: the calls
end as stopped, nothing is stored and the lease is extended by the time waited."""

import threading
from typing import Any

import httpx
import orjson

from tests.chat.helpers import chat_state, chat_task, expires_at, turns_url
from tests.factories import Factory
from tests.llm.standin import StandIn


def test_stop_ends_the_stream_and_stores_nothing(
    factory: Factory, standin: StandIn, live_server: str
) -> None:
    worker, assignment, _ = chat_task(
        factory, standin, models=("ttft=100;gap=200;tokens=50", "ttft=100;gap=200;tokens=50")
    )
    deadline = expires_at(factory, assignment)
    before = chat_state(factory)
    seen: list[tuple[str, dict[str, Any]]] = []
    url = live_server + turns_url(assignment)
    http = httpx.Client(headers=worker.headers, timeout=30)
    with http, http.stream("POST", url, json={"turn": 0, "message": "Go on"}) as response:
        assert response.status_code == 200
        name = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: ") and name is not None:
                seen.append((name, orjson.loads(line[6:])))
                if name == "delta" and len(seen) == 3:
                    stopper = threading.Thread(
                        target=lambda: http.post(url.replace("/turns", "/stop"))
                    )
                    stopper.start()
    stopper.join()
    names = [n for n, _ in seen]
    assert names[-1] == "stopped" and "turn" not in names, names
    assert seen[-1][1]["stored"] is False
    assert (expires_at(factory, assignment) - deadline).total_seconds() > 0
    assert chat_state(factory)["chat_turns"] == before["chat_turns"] == []
    stop_again = worker.post(turns_url(assignment).replace("/turns", "/stop"))
    assert stop_again.status_code == 200 and stop_again.json() == {"stopped": False}
