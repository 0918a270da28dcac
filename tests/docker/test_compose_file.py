"""docker/compose.yml describes the split deployment: two Loopgate replicas behind a proxy
on a MongoDB 8 replica set. No image registry is reachable from CI, so the file (and the
nginx configuration it mounts) is parsed and its structure checked instead of run."""

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

DOCKER = Path(__file__).resolve().parents[2] / "docker"
SECRET_NAME = re.compile(r"SECRET|KEY|PASSWORD|TOKEN|CREDENTIAL", re.IGNORECASE)
INTERPOLATED = re.compile(r"^\$\{[A-Z0-9_]+(:?[?-][^}]*)?\}$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DOCKER / "compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def _of_image(services: dict[str, dict[str, Any]], prefix: str) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services.items() if str(s.get("image", "")).startswith(prefix)}


def _loopgates(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services.items() if "serve" in s.get("command", [])}


def _health_command(service: dict[str, Any]) -> str:
    return " ".join(service["healthcheck"]["test"])


def test_a_replica_set_of_three_mongodb_8_members(services: dict[str, dict[str, Any]]) -> None:
    members = {name: s for name, s in _of_image(services, "mongo:").items()
               if s["command"][0] == "mongod"}
    assert len(members) == 3
    for member in members.values():
        assert member["image"].startswith("mongo:8")
        assert member["command"][member["command"].index("--replSet") + 1] == "rs0"
        assert "ping" in _health_command(member)
        assert member["volumes"], "each member keeps its data on its own volume"
    assert len({m["volumes"][0] for m in members.values()}) == 3


def test_an_init_job_initiates_the_set_with_every_member(
        services: dict[str, dict[str, Any]]) -> None:
    init = services["mongo-init"]
    script = init["command"][-1]
    assert "rs.initiate" in script and '_id: "rs0"' in script
    members = {n for n, s in services.items() if s.get("command", [None])[0] == "mongod"}
    assert {f"{name}:27017" for name in members} == set(re.findall(r'host: "([^"]+)"', script))
    assert init["restart"] == "no"
    assert {n: c["condition"] for n, c in init["depends_on"].items()} == dict.fromkeys(
        members, "service_healthy")


def test_two_loopgate_replicas_with_workers_on_the_replica_set(
        services: dict[str, dict[str, Any]]) -> None:
    replicas = _loopgates(services)
    assert len(replicas) == 2
    for replica in replicas.values():
        command = replica["command"]
        assert command[:2] == ["loopgate", "serve"]
        assert int(command[command.index("--workers") + 1]) >= 2
        uri = urlsplit(replica["environment"]["LOOPGATE_MONGODB_URI"])
        assert uri.scheme == "mongodb"
        assert parse_qs(uri.query)["replicaSet"] == ["rs0"]
        assert len(uri.netloc.split(",")) == 3
        assert "/readyz" in _health_command(replica)
        assert replica["depends_on"]["mongo-init"]["condition"] == \
            "service_completed_successfully"
        assert replica["build"]["dockerfile"] == "docker/Dockerfile"
        assert (DOCKER.parent / replica["build"]["dockerfile"]).is_file()
    settings = [dict(r["environment"]) for r in replicas.values()]
    assert settings[0] == settings[1], "replicas share database, issuer and voucher keys"


def test_the_proxy_balances_over_both_replicas_and_checks_readiness(
        services: dict[str, dict[str, Any]]) -> None:
    proxy = services["proxy"]
    assert proxy["image"].startswith("nginx:")
    assert "/readyz" in _health_command(proxy)
    replicas = _loopgates(services)
    assert {n: c["condition"] for n, c in proxy["depends_on"].items()} == dict.fromkeys(
        replicas, "service_healthy")
    assert any(port.endswith(":80") for port in proxy["ports"])
    assert not any("ports" in replica for replica in replicas.values()), \
        "replicas are reached through the proxy only"
    source, target = proxy["volumes"][0].split(":")[:2]
    conf = (DOCKER / source).read_text()
    upstream = re.search(r"upstream (\w+) \{(.*?)\}", conf, re.DOTALL)
    assert upstream is not None
    servers = set(re.findall(r"server ([\w.-]+):(\d+)", upstream.group(2)))
    assert servers == {(name, "4000") for name in replicas}
    assert f"proxy_pass http://{upstream.group(1)}" in conf
    assert "location = /readyz" in conf
    assert target.startswith("/etc/nginx/")


def test_no_secret_is_written_in_the_file(compose: dict[str, Any]) -> None:
    """Secrets come from the environment of whoever runs compose (``${VAR:?…}``)."""
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(key):
                assert INTERPOLATED.match(str(value)), f"{name}.{key} is written inline"
            assert "@" not in urlsplit(str(value)).netloc, f"{name}.{key} carries credentials"
    text = (DOCKER / "compose.yml").read_text()
    assert not re.search(r"(?i)password\s*[:=]", text)
