"""``loopgate compose``: config in (YAML, JSON, Rover spelling), supergraph out, ``--check``."""

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from graphql import parse

from gateway.compose.config import ConfigError, read_config
from gateway.compose.fetch import load_source
from tests.compose.normalize import facts
from tests.compose.strawberry_subgraph import schema as strawberry_schema

REPO = Path(__file__).parents[2]
BASICS = Path(__file__).parent / "fixtures" / "basics"


def loopgate(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway.cli", "compose", *map(str, args)],
                          capture_output=True, text=True, timeout=60, cwd=REPO,
                          env={**os.environ, "COLUMNS": "200"})


@pytest.fixture
def basics_config(tmp_path: Path) -> Path:
    config = tmp_path / "supergraph.yaml"
    config.write_text(
        "subgraphs:\n"
        f"  - {{name: a, url: 'http://a.example/graphql', sdl: '{BASICS / 'a.graphql'}'}}\n"
        f"  - {{name: b, url: 'http://b.example/graphql', sdl: '{BASICS / 'b.graphql'}'}}\n")
    return config


@pytest.fixture
def service_sdl_server() -> Iterator[str]:
    """A real HTTP subgraph on loopback answering ``{ _service { sdl } }``."""
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["query"]
            body = json.dumps({"data": strawberry_schema.execute_sync(query).data}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/graphql"
    server.shutdown()
    server.server_close()


def test_compose_to_stdout_matches_apollo(basics_config: Path) -> None:
    result = loopgate(basics_config)
    assert result.returncode == 0, result.stderr
    assert facts(result.stdout) == facts((BASICS / "supergraph.graphql").read_text())


def test_compose_errors_name_file_line_and_code(tmp_path: Path) -> None:
    bad = tmp_path / "bad.graphql"
    bad.write_text((BASICS / "b.graphql").read_text().replace("weight: Int", "weight: Int @nope"))
    config = tmp_path / "supergraph.json"
    config.write_text(json.dumps({"subgraphs": [
        {"name": "a", "sdl": str(BASICS / "a.graphql")}, {"name": "b", "sdl": str(bad)}]}))
    result = loopgate(config)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f'{bad}:2: INVALID_GRAPHQL: [b] Unknown directive "@nope".' in result.stderr
    assert "composition failed with 1 error(s)" in result.stderr


def test_check_lists_breaking_changes_and_exits_non_zero(basics_config: Path,
                                                         tmp_path: Path) -> None:
    previous = tmp_path / "previous.graphql"
    previous.write_text((BASICS / "supergraph.graphql").read_text().replace(
        "x: Int @join__field(graph: B)", "x: Int @join__field(graph: B)\n  gone: Int"))
    output = tmp_path / "supergraph.graphql"
    result = loopgate(basics_config, "--check", previous, "--output", output)
    assert result.returncode == 2, result.stderr
    assert 'FIELD_REMOVED: Field "Query.gone" was removed.' in result.stderr
    assert facts(output.read_text()) == facts((BASICS / "supergraph.graphql").read_text())


def test_check_passes_against_the_same_supergraph(basics_config: Path) -> None:
    result = loopgate(basics_config, "--check", BASICS / "supergraph.graphql")
    assert result.returncode == 0, result.stderr
    assert "no breaking changes" in result.stderr


def test_bad_config_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "supergraph.yaml"
    config.write_text("subgraphs:\n  - name: a\n")
    result = loopgate(config)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "subgraph 'a' needs exactly one of" in result.stderr


def test_module_and_introspection_sources(tmp_path: Path, service_sdl_server: str) -> None:
    config = tmp_path / "supergraph.yaml"
    config.write_text(
        "subgraphs:\n"
        "  stores:\n"
        "    routing_url: http://stores/graphql\n"
        "    module: tests.compose.strawberry_subgraph:schema\n"
        "  remote:\n"
        f"    routing_url: {service_sdl_server}\n"
        f"    schema: {{subgraph_url: {service_sdl_server}}}\n")
    specs = read_config(config)
    local, remote = (load_source(spec) for spec in specs)
    assert (local.name, local.url, local.file) == (
        "stores", "http://stores/graphql", "tests.compose.strawberry_subgraph:schema")
    assert remote.sdl == local.sdl
    assert "_service" in local.sdl and parse(local.sdl) is not None


def test_module_next_to_the_config_is_importable(tmp_path: Path) -> None:
    (tmp_path / "partner_graph.py").write_text(
        "SDL = 'extend schema @link(url: \"https://specs.apollo.dev/federation/v2.11\", "
        "import: [\"@key\"])\\ntype Query { partnerHello: String }'\n")
    config = tmp_path / "supergraph.yaml"
    config.write_text("subgraphs:\n  - {name: partner, module: 'partner_graph:SDL'}\n")
    [spec] = read_config(config)
    source = load_source(spec)
    assert source.file == "partner_graph:SDL"
    assert "partnerHello" in source.sdl


def test_introspect_true_uses_the_url(tmp_path: Path, service_sdl_server: str) -> None:
    config = tmp_path / "supergraph.yaml"
    config.write_text(f"subgraphs:\n  - {{name: r, url: '{service_sdl_server}', "
                      "introspect: true}\n")
    [spec] = read_config(config)
    assert spec.introspect_url == service_sdl_server
    assert "type Store" in load_source(spec).sdl


def test_unreachable_introspection_url_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "supergraph.yaml"
    config.write_text("subgraphs:\n  - {name: r, url: 'http://127.0.0.1:1/graphql', "
                      "introspect: true}\n")
    [spec] = read_config(config)
    with pytest.raises(ConfigError, match="subgraph 'r': fetching"):
        load_source(spec, timeout=2)


@pytest.mark.parametrize(("text", "message"), [
    ("subgraphs: []", "non-empty `subgraphs:`"),
    ("subgraphs:\n  - url: x\n", "subgraph #1 needs a `name`"),
    ("subgraphs:\n  - {name: a, introspect: true}\n", "needs exactly one of"),
    ("subgraphs:\n  - {name: a, module: nosuchmodule:schema}\n", "cannot import 'nosuchmodule'"),
    ("subgraphs:\n  - {name: a, module: json}\n", "`package.module:attribute`"),
    ("subgraphs:\n  - {name: a, sdl: missing.graphql}\n", "cannot read"),
    ("subgraphs: [\n", "not valid YAML"),
])
def test_config_errors(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "supergraph.yaml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        _load_all(config)


def _load_all(config: Path) -> None:
    for spec in read_config(config):
        load_source(spec)
