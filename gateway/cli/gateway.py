"""``loopgate gateway --supergraph FILE``: the gateway alone in front of any supergraph.

Like Apollo Router or Hive Gateway: every subgraph is reached over HTTP at its
``join__Graph`` URL, and the gateway serves ``/graphql``, ``/healthz`` and ``/readyz``.

With ``--jwks URL --issuer ISS`` it enforces OAuth as ``loopgate serve`` does (bearer tokens
verified with the issuer's public keys, ``@authenticated``/``@requiresScopes`` applied) and
forwards each caller's verified ``Authorization`` header to the subgraphs
(:mod:`gateway.standalone` says why and what that implies). Without ``--jwks`` every caller is
trusted, and it says so when it starts.
"""

import argparse
import asyncio
from pathlib import Path

import aiohttp
import uvicorn
import uvloop
from pydantic import ValidationError

from auth.jwks import JwksUnavailable
from auth.tokens import AUDIENCE
from auth.verify import TokenVerifier
from gateway.cli._console import CliError, console_err
from gateway.cli.serve import check_port_free
from gateway.config import Settings
from gateway.federation import Supergraph, SupergraphError
from gateway.limits import OperationLimits
from gateway.logs import log_config
from gateway.service import Gateway
from gateway.standalone import jwks_verifier, standalone_app, subgraph_router
from gateway.transports.http import http_session

UNAUTHENTICATED_WARNING = ("warning: this gateway runs WITHOUT authentication: every caller is "
                           "trusted and @authenticated/@requiresScopes are not enforced "
                           "(start it with --jwks URL --issuer ISS to verify OAuth tokens)")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "gateway", help="serve a supergraph file over HTTP subgraphs (like Apollo Router)")
    add_supergraph_argument(parser)
    parser.add_argument("--host", help="interface to bind (default $LOOPGATE_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default $LOOPGATE_PORT or 4000)")
    parser.add_argument("--cors-origin", action="append", dest="cors_origins", metavar="ORIGIN",
                        help="allow browser calls from ORIGIN (repeatable; default "
                             "$LOOPGATE_CORS_ORIGINS)")
    parser.add_argument("--timeout", type=float,
                        help="time budget of one operation in seconds (default: "
                             "$LOOPGATE_LIMITS timeout_seconds, 30)")
    parser.add_argument("--subgraph-timeout", type=float, default=10.0,
                        help="timeout of one subgraph call in seconds (default 10)")
    parser.add_argument("--hot-reload", action="store_true",
                        help="watch the supergraph file and switch to each valid new version")
    parser.add_argument("--max-body-bytes", type=int,
                        help="largest accepted request (default: $LOOPGATE_LIMITS body_bytes, "
                             "4000000)")
    oauth = parser.add_argument_group(
        "OAuth", "Verify callers' bearer tokens with the issuer's public keys and enforce "
                 "@authenticated/@requiresScopes, as `loopgate serve` does. Subgraphs receive "
                 "the caller's verified Authorization header (there is no signed "
                 "Loopgate-Context header: this gateway holds no signing key), so they can "
                 "verify it with the same JWKS; put only subgraphs you trust with callers' "
                 "tokens behind it. Revoked tokens stay valid here until they expire (at most "
                 "15 minutes). Without --jwks every caller is trusted.")
    oauth.add_argument("--jwks", metavar="URL",
                       help="the issuer's JWKS, e.g. https://loopgate.example/.well-known/"
                            "jwks.json of a running `loopgate serve`; read at start-up, when "
                            "a token names a new key, and every 5 minutes")
    oauth.add_argument("--issuer", metavar="ISS",
                       help="the 'iss' tokens must carry (required with --jwks)")
    oauth.add_argument("--audience", metavar="AUD",
                       help=f"the 'aud' tokens must carry (default {AUDIENCE})")
    parser.set_defaults(run=run, usage_error=parser.error)


def add_supergraph_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--supergraph", required=True, type=Path, metavar="FILE",
                        help="supergraph SDL (Apollo format, e.g. from `loopgate compose`)")


def load_supergraph(path: Path) -> Supergraph:
    """Read and parse a supergraph file, or fail with one line saying what is wrong."""
    try:
        sdl = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CliError(f"supergraph file '{path}' does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read supergraph file '{path}': {exc}") from exc
    try:
        return Supergraph.parse(sdl)
    except SupergraphError as exc:
        raise CliError(f"invalid supergraph '{path}': {exc}") from exc


def check_oauth_options(args: argparse.Namespace) -> None:
    """--issuer and --audience only mean something with --jwks, which needs --issuer."""
    if args.jwks is not None and not args.issuer:
        args.usage_error("--jwks needs --issuer (the 'iss' the tokens must carry)")
    if args.jwks is None and (args.issuer is not None or args.audience is not None):
        args.usage_error("--issuer and --audience need --jwks (the issuer's public keys)")


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted, on uvloop (uvicorn[standard] brings it): the gateway's own
    CPU per request is what the benchmark holds against Apollo Gateway."""
    check_oauth_options(args)
    overrides = {key: value for key in ("host", "port", "cors_origins")
                 if (value := getattr(args, key, None)) is not None}
    settings = Settings(**overrides)
    supergraph = load_supergraph(args.supergraph)
    check_port_free(settings.host, settings.port)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_serve(supergraph, settings, limits_from(settings, args), args))
    return 0


def limits_from(settings: Settings, args: argparse.Namespace) -> OperationLimits:
    """``LOOPGATE_LIMITS`` with ``--timeout`` and ``--max-body-bytes`` over it."""
    flags = {"timeout_seconds": args.timeout, "body_bytes": args.max_body_bytes}
    try:
        return OperationLimits(**{**settings.limits.model_dump(),
                                  **{k: v for k, v in flags.items() if v is not None}})
    except ValidationError as exc:
        error = exc.errors()[0]
        flag = {"timeout_seconds": "--timeout", "body_bytes": "--max-body-bytes"}.get(
            str(error["loc"][0]), str(error["loc"][0]))
        raise CliError(f"invalid {flag}: {error['msg']}") from exc


async def load_verifier(args: argparse.Namespace) -> TokenVerifier | None:
    """The bearer-token verifier of ``--jwks``/``--issuer``/``--audience``, keys loaded;
    None without ``--jwks``. An unreadable or empty JWKS is a :class:`CliError`."""
    if args.jwks is None:
        return None
    try:
        return await jwks_verifier(args.jwks, issuer=args.issuer,
                                   audience=args.audience or AUDIENCE)
    except JwksUnavailable as exc:
        raise CliError(str(exc)) from exc


async def _serve(supergraph: Supergraph, settings: Settings, limits: OperationLimits,
                 args: argparse.Namespace) -> None:
    verifier = await load_verifier(args)  # before anything is opened that a failure must close
    session = http_session(timeout=args.subgraph_timeout)
    gateway, app = standalone_app(supergraph, session, verifier=verifier,
                                  limits=limits,
                                  cors_origins=settings.cors_origins, on_shutdown=session.close)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning",
                            access_log=False, lifespan="on", log_config=log_config("WARNING"))
    names = ", ".join(sorted(supergraph.subgraphs))
    console_err.print(f"Loopgate gateway on http://{settings.host}:{settings.port}/graphql "
                      f"(subgraphs: {names})", highlight=False)
    if verifier is None:
        console_err.print(UNAUTHENTICATED_WARNING, style="bold yellow", highlight=False,
                          markup=False)
    else:
        console_err.print(f"OAuth: tokens of {verifier.issuer} for audience {verifier.audience}, "
                          f"verified with the keys at {args.jwks}; subgraphs receive the "
                          "caller's verified Authorization header", highlight=False,
                          markup=False)
    watcher = (asyncio.create_task(_watch(args.supergraph, gateway, session, verifier))
               if args.hot_reload else None)
    try:
        await uvicorn.Server(config).serve()
    finally:
        if watcher is not None:
            watcher.cancel()


async def _watch(path: Path, gateway: Gateway, session: aiohttp.ClientSession,
                 verifier: TokenVerifier | None, interval: float = 0.5) -> None:
    """Switch to each new valid version of the supergraph file; keep serving on a bad one."""
    seen = _modified(path)
    while True:
        await asyncio.sleep(interval)
        modified = _modified(path)
        if modified == seen:
            continue
        seen = modified
        try:
            supergraph = load_supergraph(path)
        except CliError as exc:
            console_err.print(f"hot reload skipped, still serving the previous supergraph: {exc}",
                              highlight=False, markup=False)
            continue
        gateway.replace_supergraph(supergraph, subgraph_router(supergraph, session, verifier))
        console_err.print(f"supergraph reloaded from {path} (subgraphs: "
                          f"{', '.join(sorted(supergraph.subgraphs))})", highlight=False)


def _modified(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None
