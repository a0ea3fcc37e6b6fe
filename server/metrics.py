"""Opt-in Prometheus metrics on loopback (setting ``observability.metricsPort``; 0: off), fed by the event log.

The metrics read the same events the JSONL log keeps (core/events.py): a sink turns each event into a metric.
Served by ``prometheus_client`` on ``http://127.0.0.1:PORT/metrics`` only (never another address), in a registry
of this server's own:

- ``specpilot_request_seconds{method}``: a histogram of request latency per LSP method (commands as
  ``workspace/executeCommand:<command>``);
- ``specpilot_search_seconds{mode}``: search latency;
- ``specpilot_index_queue_depth{folder}``: chunks waiting for a vector, per workspace folder (read when scraped);
- ``specpilot_embedded_chunks_total`` and ``specpilot_embed_seconds_total``: their ratio is the embedding rate;
- ``specpilot_verdicts_total{point, accepted}``: verdicts per decision point (acceptance is accepted / all);
- ``specpilot_model_tokens_total{model, direction}`` and ``specpilot_model_cost_usd_total{model}``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from specpilot.core import events

log = logging.getLogger("specpilot.server")

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics(logging.Handler):
    """The metrics and the sink that feeds them from events."""

    def __init__(self, queue_depths: Callable[[], Mapping[str, int]]) -> None:
        super().__init__()
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Histogram("specpilot_request_seconds", "LSP request latency", ["method"],
                                  buckets=LATENCY_BUCKETS, registry=r)
        self.searches = Histogram("specpilot_search_seconds", "Search latency", ["mode"], buckets=LATENCY_BUCKETS,
                                  registry=r)
        self.embedded = Counter("specpilot_embedded_chunks", "Chunks embedded by the model", registry=r)
        self.embed_seconds = Counter("specpilot_embed_seconds", "Seconds spent embedding", registry=r)
        self.verdicts = Counter("specpilot_verdicts", "Verdicts on proposals", ["point", "accepted"], registry=r)
        self.tokens = Counter("specpilot_model_tokens", "Model tokens", ["model", "direction"], registry=r)
        self.cost = Counter("specpilot_model_cost_usd", "Model spend (known prices)", ["model"], registry=r)
        self._depths = queue_depths
        r.register(_Refresh(self._refresh_depths))  # before the gauge: a scrape refreshes it, then reads it
        self._depth = Gauge("specpilot_index_queue_depth", "Chunks waiting for a vector", ["folder"], registry=r)
        self.server: Any = None
        self.port = 0

    def _refresh_depths(self) -> None:
        try:
            depths = dict(self._depths())
        except Exception as exc:  # noqa: BLE001 - a scrape never fails for it
            log.debug("queue depth: %s", exc)
            return
        self._depth.clear()
        for folder, count in depths.items():
            self._depth.labels(folder=folder).set(count)

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "event", None)
        if not isinstance(event, dict):
            return
        try:
            self.observe(event)
        except Exception:  # noqa: BLE001 - a malformed event never breaks the work that sent it
            log.debug("an event the metrics could not read: %.200r", event)

    def observe(self, event: Mapping[str, Any]) -> None:
        kind = event.get("kind")
        if kind == "request":
            self.requests.labels(method=str(event["method"])).observe(float(event["ms"]) / 1000)
        elif kind == "search":
            self.searches.labels(mode=str(event.get("mode"))).observe(float(event["ms"]) / 1000)
        elif kind == "embed":
            self.embedded.inc(int(event["count"]))
            self.embed_seconds.inc(float(event["seconds"]))
        elif kind == "feedback":
            self.verdicts.labels(point=str(event.get("point", "")), accepted=str(bool(event["accepted"])).lower()).inc()
        elif kind == "model_call":
            model = str(event.get("model", ""))
            self.tokens.labels(model=model, direction="input").inc(int(event.get("input_tokens") or 0))
            self.tokens.labels(model=model, direction="output").inc(int(event.get("output_tokens") or 0))
            if event.get("cost_usd") is not None:
                self.cost.labels(model=model).inc(float(event["cost_usd"]))

    def serve(self, port: int) -> None:
        """Serve on 127.0.0.1:``port`` (0: stop); a port already taken is a warning, and no metrics."""
        if port == self.port:
            return
        self.stop()
        if not port:
            return
        try:
            self.server, _ = start_http_server(port, addr="127.0.0.1", registry=self.registry)
        except OSError as exc:
            log.warning("metrics: cannot listen on 127.0.0.1:%d (%s); none are served", port, exc)
            return
        self.port = port
        events.add_sink(self)
        log.info("metrics on http://127.0.0.1:%d/metrics", port)

    def stop(self) -> None:
        if self.server is not None:
            events.remove_sink(self)
            threading.Thread(target=self.server.shutdown, daemon=True).start()
            self.server.server_close()
        self.server = None
        self.port = 0


class _Refresh:
    """A collector that only refreshes the queue depth gauge when the registry is scraped."""

    def __init__(self, refresh: Callable[[], None]) -> None:
        self.refresh = refresh

    def collect(self) -> list[Any]:
        self.refresh()
        return []
