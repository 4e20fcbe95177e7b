"""Issue 8 item 14: ``/docs`` needs nothing but the viewer, and the schema declares the errors."""

from __future__ import annotations

import re

import httpx

from .conftest import LiveServer


def test_docs_page_loads_its_assets_from_the_viewer(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        page = http.get("/docs")
        assert page.status_code == 200
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
        assert not [a for a in assets if a.startswith(("http:", "https:", "//"))], assets
        for asset in assets:
            answer = http.get(asset)
            assert answer.status_code == 200 and len(answer.content) > 100, asset


def test_openapi_declares_the_error_answers(live_server: LiveServer) -> None:
    schema = httpx.get(f"{live_server.url}/openapi.json", timeout=10).json()
    import_answers = schema["paths"]["/api/import"]["post"]["responses"]
    assert {"400", "404", "409", "413", "415", "429"} <= set(import_answers)
    metrics = schema["paths"]["/api/metrics/{run_id}"]["get"]
    assert {"400", "404", "422", "429"} <= set(metrics["responses"])
    assert "Retry-After" in metrics["responses"]["429"]["headers"]
    detail = schema["components"]["schemas"]["Error"]["properties"]["detail"]
    assert detail["type"] == "string"  # as sent, not FastAPI's list of field errors
    run_id = next(p for p in metrics["parameters"] if p["name"] == "run_id")
    assert re.fullmatch(run_id["schema"]["pattern"], "20261126_101500_a1b2c3")
    assert not re.fullmatch(run_id["schema"]["pattern"], "a..b")
