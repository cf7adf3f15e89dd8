"""OpenTelemetry for the "otel" settings: the SDK's in-memory exporter behind
a simple span processor, and Django's instrumentation (which puts its
middleware first in MIDDLEWARE: call :func:`instrument` before the handler
loads its middleware)."""

from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

EXPORTER = InMemorySpanExporter()


def instrument():
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
    DjangoInstrumentor().instrument(tracer_provider=provider)


def take_spans():
    spans = EXPORTER.get_finished_spans()
    EXPORTER.clear()
    return [
        {
            "name": span.name,
            "kind": span.kind.name,
            "status": span.status.status_code.name,
            "trace_id": format(span.context.trace_id, "032x"),
            "parent_id": format(span.parent.span_id, "016x") if span.parent else None,
            "attributes": dict(span.attributes or {}),
            "events": [[event.name, (event.attributes or {}).get("exception.type")] for event in span.events],
        }
        for span in spans
    ]
