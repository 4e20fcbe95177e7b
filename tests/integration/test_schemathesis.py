"""Property-based requests generated from the OpenAPI schema: no input makes the viewer fail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from runicorn.viewer import create_app

from .conftest import NO_LIMITS, make_run

MAX_EXAMPLES = 50


def test_no_generated_request_causes_a_server_error(root: Path) -> None:
    for i in range(3):
        make_run(root, steps=20, tags=["t"], summary={"acc": 0.5 + i / 10})
    deleted = make_run(root, steps=3)
    # Schemathesis's ASGI client sends "Host: testserver".
    app = create_app(root, rate_limits=NO_LIMITS, allowed_hosts=["testserver"],
                     index_on_start=False, static_dir=None)  # fmt: skip
    app.state.ctx.backend.soft_delete([deleted.id])
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # One hypothesis run per operation (pytest 9 breaks schemathesis's lazy fixtures, so the
    # operations are walked here rather than parametrized).
    failures: list[str] = []
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

            @given(case=operation.as_strategy())
            @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))  # fmt: skip
            def check(case: Any) -> None:
                case.call_and_validate(checks=[not_a_server_error])

            try:
                check()
            except Exception as exc:
                failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    finally:
        app.state.ctx.close()
    assert not failures, "\n\n".join(failures)
