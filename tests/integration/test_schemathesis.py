"""Property-based requests generated from the OpenAPI schema: no input makes the viewer fail,
and every answer conforms to the schema (issue 8 item 14: 0 server errors, 0 findings)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure, FailureGroup

from runicorn.viewer import create_app

from .conftest import NO_LIMITS, make_run

MAX_EXAMPLES = 50
# 400 is the schema's declared answer to a request the schema allows but the viewer cannot use:
# a filter that does not parse, a sort field no run has the form of, an upload that is not an
# archive made by export. No schema can say which strings parse, so a schema-valid request may
# get it; every other check keeps schemathesis's defaults.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "429"],
            }
        }
    }
)


def _findings(error: Failure | FailureGroup) -> list[BaseException]:
    return list(error.exceptions) if isinstance(error, FailureGroup) else [error]


def _explore(operation: Any, findings: Counter[str], examples: dict[str, str]) -> None:
    """Generated requests to one operation, every check run, findings counted by kind."""
    label = f"{operation.method.upper()} {operation.path}"

    @given(case=operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def check(case: Any) -> None:
        try:
            case.call_and_validate()
        except (Failure, FailureGroup) as error:
            for finding in _findings(error):
                kind = f"{label}: {type(finding).__name__}"
                findings[kind] += 1
                examples.setdefault(kind, str(finding)[:1500])

    check()


def test_generated_requests_cause_no_server_error_and_no_finding(root: Path) -> None:
    for i in range(3):
        make_run(root, steps=20, tags=["t"], summary={"acc": 0.5 + i / 10},
                 config={"batch_size": 32, "weight decay": 1e-4, "学习率": 3e-4})  # fmt: skip
    deleted = make_run(root, steps=3)
    # Schemathesis's ASGI client sends "Host: testserver".
    app = create_app(root, rate_limits=NO_LIMITS, allowed_hosts=["testserver"],
                     index_on_start=False, static_dir=None)  # fmt: skip
    app.state.ctx.backend.soft_delete([deleted.id])
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)
    # One hypothesis run per operation (pytest 9 breaks schemathesis's lazy fixtures, so the
    # operations are walked here rather than parametrized).
    findings: Counter[str] = Counter()
    examples: dict[str, str] = {}
    # The remote routes open SSH connections to whatever host they are given: fuzzing them
    # would send traffic off this machine. tests/remote covers them against a local sshd.
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if not op.path.startswith("/api/remote")
    ]
    assert len(operations) >= 20
    try:
        for operation in operations:
            _explore(operation, findings, examples)
    finally:
        app.state.ctx.close()
    server_errors = sum(n for kind, n in findings.items() if "ServerError" in kind)
    report = "\n\n".join(f"{kind} (x{findings[kind]})\n{examples[kind]}" for kind in findings)
    assert server_errors == 0, report
    assert not findings, report
