"""A loopback OpenAI-compatible model for the end-to-end test's agent checks (tests/loopback's
server): it answers an Ask (a read_file call, then a streamed answer) and two Run Agent Tasks (a
patch each), prints its base URL, and serves until its stdin closes. Run from the repository root: python extension/test/e2e/model_server.py

The critic's review is answered DONE whenever one is asked for, outside the script: the workspace learns (learning
is on in the e2e), and its bandit skips the review in about one run in twenty (the exploration floor), which would
shift every later scripted reply by one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

import tests.loopback.openai_server as wire  # noqa: E402
from tests.loopback import Recorded, Reply, serving  # noqa: E402

ANSWER = "parse_cookie splits the header on semicolons (httpkit/cookies.py:6)."
PATCH = ('--- a/httpkit/export.py\n+++ b/httpkit/export.py\n@@ -1,4 +1,4 @@\n-"""Search result export."""\n'
         '+"""Search result export, as CSV."""\n \n \n # Requirements: R1.1\n')

PATCH_2 = ('--- a/httpkit/export.py\n+++ b/httpkit/export.py\n@@ -1,4 +1,4 @@\n-"""Search result export, as CSV."""\n'
           '+"""Search result export, as CSV with a header row."""\n \n \n # Requirements: R1.1\n')

CRITIC = "You review a coding agent's work"  # the first words of llm/prompts/agent.critic.md's role


class Model(wire.OpenAIServer):
    def _next(self, recorded: Recorded) -> Reply:
        messages = recorded.body.get("messages") or [{}]
        if str(messages[0].get("content", "")).startswith(CRITIC):
            with self._lock:
                self.requests.append(recorded)
            return wire.answer("DONE")
        return super()._next(recorded)


with serving(Model()) as server:
    # Ask: a tool call, then the answer (an Ask has no critic).
    server.push(wire.stream([], [("c1", "read_file", [json.dumps({"path": "httpkit/cookies.py"})])]),
                wire.stream(["parse_cookie splits the header ", "on semicolons (httpkit/cookies.py:6)."], []))
    # Run Agent Task: read, propose a patch, say what it did; the critic approves.
    server.push(wire.stream([], [("c2", "read_file", [json.dumps({"path": "httpkit/export.py"})])]),
                wire.stream([], [("c3", "propose_patch", [json.dumps({"diff": PATCH})])]),
                wire.stream(["The export module's docstring now says CSV (httpkit/export.py:1)."], []))
    # Run Agent Task again, with agent.review = diff: the same steps, a second docstring change.
    server.push(wire.stream([], [("c4", "read_file", [json.dumps({"path": "httpkit/export.py"})])]),
                wire.stream([], [("c5", "propose_patch", [json.dumps({"diff": PATCH_2})])]),
                wire.stream(["The docstring now mentions the header row (httpkit/export.py:1)."], []))
    print(json.dumps({"baseUrl": server.base_url, "model": wire.MODEL, "answer": ANSWER}), flush=True)
    sys.stdin.read()
    print(json.dumps({"requests": len(server.requests),
                      "authorization": [r.headers.get("authorization", "") for r in server.requests]}), flush=True)
