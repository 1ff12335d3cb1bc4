"""The production shape: docker-compose.yml checked against the README and the settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from journeys.contracts import search_attributes
from journeys.settings import JourneySettings
from journeys.settings_reference import settings_table, with_current_table
from journeys.store.tenancy import API_ROLE

ROOT = Path(__file__).resolve().parents[2]
ENGINE_SERVICES = ("setup", "worker", "api")
"""Services running the engine's image, configured by JOURNEYS_ settings."""


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return document


def services(compose: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = compose["services"]
    return found


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def test_every_service_the_readme_names_is_defined(compose: dict[str, Any]) -> None:
    named = re.findall(r"^\| `([a-z0-9-]+)` \|", readme_section("Production shape"), re.M)
    assert len(named) >= 7
    assert set(named) == set(services(compose))


def test_engine_services_reach_the_store_and_temporal(compose: dict[str, Any]) -> None:
    defined = services(compose)
    store = environment(defined["store-postgresql"])
    for name in ENGINE_SERVICES:
        service = defined[name]
        assert service["build"] == "."
        env = environment(service)
        database = urlsplit(env["JOURNEYS_DATABASE_URL"])
        assert database.scheme in ("postgresql", "postgresql+psycopg")
        assert database.hostname == "store-postgresql"
        assert (database.username, database.password, database.path.lstrip("/")) == (
            store["POSTGRES_USER"],
            store["POSTGRES_PASSWORD"],
            store["POSTGRES_DB"],
        )
        host, port = env["JOURNEYS_TEMPORAL_ADDRESS"].split(":")
        assert host == "temporal"
        assert port == "7233"
        assert (
            env["JOURNEYS_TEMPORAL_NAMESPACE"]
            == environment(defined["temporal"])["DEFAULT_NAMESPACE"]
        )
    assert environment(defined["api"])["JOURNEYS_API_HOST"] == "0.0.0.0"
    api_port = environment(defined["api"])["JOURNEYS_API_PORT"]
    assert f"8000:{api_port}" in defined["api"]["ports"]
    assert defined["worker"]["command"] == ["journeys", "worker"]
    assert defined["api"]["command"] == ["journeys", "api"]
    setup = " ".join(defined["setup"]["command"])
    assert "journeys migrate" in setup
    assert "journeys temporal-setup" in setup


def test_the_api_serves_as_its_login_role_created_with_the_store(compose: dict[str, Any]) -> None:
    defined = services(compose)
    api = environment(defined["api"])
    owner = urlsplit(api["JOURNEYS_DATABASE_URL"])
    serving = urlsplit(api["JOURNEYS_API_DATABASE_URL"])
    assert serving.username == API_ROLE
    assert serving.username != owner.username
    assert (serving.hostname, serving.port, serving.path) == (
        owner.hostname,
        owner.port,
        owner.path,
    )
    JourneySettings(api_database_url=api["JOURNEYS_API_DATABASE_URL"])
    # Workers and migrations keep the owner: only the API is confined to its role.
    for name in ("setup", "worker"):
        assert "JOURNEYS_API_DATABASE_URL" not in environment(defined[name])
    init_scripts = [
        volume.split(":")[0]
        for volume in defined["store-postgresql"]["volumes"]
        if ":/docker-entrypoint-initdb.d/" in volume
    ]
    assert init_scripts, "store-postgresql creates no login role for the API"
    sql = " ".join((ROOT / script).read_text() for script in init_scripts)
    created = re.search(r"CREATE ROLE (\w+) LOGIN PASSWORD '([^']*)'", sql)
    assert created, sql
    assert created.groups() == (API_ROLE, serving.password)


def test_every_journeys_variable_is_a_real_setting(compose: dict[str, Any]) -> None:
    fields = set(JourneySettings.model_fields)
    used = {
        key
        for service in services(compose).values()
        for key in environment(service)
        if key.startswith("JOURNEYS_")
    }
    assert used
    unknown = {key for key in used if key.removeprefix("JOURNEYS_").lower() not in fields}
    assert not unknown, f"not JourneySettings fields: {sorted(unknown)}"
    for name in ENGINE_SERVICES:
        JourneySettings.model_validate(
            {
                key.removeprefix("JOURNEYS_").lower(): value
                for key, value in environment(services(compose)[name]).items()
            }
        )


def test_temporal_runs_on_its_postgresql_and_the_ui_on_temporal(compose: dict[str, Any]) -> None:
    defined = services(compose)
    temporal = environment(defined["temporal"])
    database = environment(defined["temporal-postgresql"])
    assert temporal["DB"].startswith("postgres")
    assert temporal["POSTGRES_SEEDS"] == "temporal-postgresql"
    assert (temporal["POSTGRES_USER"], temporal["POSTGRES_PWD"]) == (
        database["POSTGRES_USER"],
        database["POSTGRES_PASSWORD"],
    )
    assert environment(defined["temporal-ui"])["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert "8233:8080" in defined["temporal-ui"]["ports"]


def test_dependencies_name_defined_services(compose: dict[str, Any]) -> None:
    defined = services(compose)
    for name, service in defined.items():
        for dependency in service.get("depends_on", []):
            assert dependency in defined, f"{name} depends on unknown {dependency}"


def test_the_image_contains_every_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    pyproject = (ROOT / "pyproject.toml").read_text()
    packages = re.search(r"include = \[(.*?)\]", pyproject)
    assert packages
    for package in re.findall(r'"(\w+)\*"', packages.group(1)):
        assert f"COPY {package} ./{package}" in dockerfile
    assert "pip install" in dockerfile


def test_search_attributes_are_all_documented_in_the_readme() -> None:
    tour = readme_section("A short tour")
    for key in search_attributes.ALL_KEYS:
        assert f"`{key.name}`" in tour


def test_readme_settings_table_is_current() -> None:
    readme = (ROOT / "README.md").read_text()
    assert with_current_table(readme) == readme, (
        "README settings table is stale: python -m journeys.settings_reference --write README.md"
    )
    assert "(undocumented)" not in settings_table(), "document every setting in JourneySettings"


def test_readme_has_exactly_two_setup_commands() -> None:
    commands = readme_section("Two commands")
    assert re.findall(r"^make (\w+)", commands, re.M) == ["run", "test"]
    makefile = (ROOT / "Makefile").read_text()
    assert "journeys dev" in makefile
    assert "tests.run_suite" in makefile
