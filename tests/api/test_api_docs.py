"""The interactive API docs work offline: the app serves every asset its pages load."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import urljoin

import httpx
import pytest

from journeys.api import create_app
from journeys.settings import JourneySettings

ASSET_REFERENCE = re.compile(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""")
"""``src=``, ``href=`` and ``url:`` values of a docs page (scripts, styles, icon, spec)."""


@pytest.fixture
async def docs(settings: JourneySettings) -> AsyncIterator[httpx.AsyncClient]:
    # The docs pages need no Temporal or store: no lifespan, the app alone over ASGI.
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        yield client


@pytest.mark.parametrize(
    ("page", "script"), [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")]
)
async def test_docs_pages_load_only_what_the_app_serves(
    docs: httpx.AsyncClient, page: str, script: str
) -> None:
    response = await docs.get(page)
    assert response.status_code == 200
    references = ASSET_REFERENCE.findall(response.text)
    assert any(reference.endswith(script) for reference in references), references
    assert "/openapi.json" in references
    for reference in references:
        assert reference.startswith("/"), f"{page} loads {reference} from elsewhere"
        asset = await docs.get(urljoin(page, reference))
        assert asset.status_code == 200, reference
        assert len(asset.content) > 100, reference
    assert "cdn" not in response.text.lower()


async def test_the_bundled_swagger_ui_reads_openapi_3_1(docs: httpx.AsyncClient) -> None:
    spec = (await docs.get("/openapi.json")).json()
    assert spec["openapi"].startswith("3.1")
    bundle = (await docs.get("/docs/assets/swagger-ui-bundle.js")).text
    # Swagger UI renders OpenAPI 3.1 from version 5 on; 4.x shows "no valid version field".
    versions = set(re.findall(r'"(5\.\d+\.\d+)"', bundle))
    assert versions, "the bundled Swagger UI is not version 5"
    assert response_type(await docs.get("/docs/assets/swagger-ui.css")) == "text/css"


async def test_the_api_descriptions_cite_no_seed_documents(docs: httpx.AsyncClient) -> None:
    # Users read the rules themselves, not the product brief's document numbers.
    spec = (await docs.get("/openapi.json")).text
    assert re.findall(r".{0,60}\bseed \d{3}.{0,60}", spec, flags=re.IGNORECASE) == []


def response_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0]
