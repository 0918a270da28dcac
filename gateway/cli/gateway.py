"""``loopgate gateway --supergraph FILE``: the gateway alone in front of any supergraph.

Like Apollo Router or Hive Gateway: every subgraph is reached over HTTP at its
``join__Graph`` URL, and the gateway serves ``/graphql``, ``/healthz`` and ``/readyz``.

With ``--jwks URL --issuer ISS`` it enforces OAuth as ``loopgate serve`` does (bearer tokens
verified with the issuer's public keys, ``@authenticated``/``@requiresScopes`` applied).
With ``--signing-key FILE`` subgraphs receive a signed ``Loopgate-Context`` token per call
(:mod:`gateway.context_key`), else the caller's verified ``Authorization`` header
(:mod:`gateway.standalone` says why and what that implies). Without ``--jwks`` every caller
is trusted, and it says so when it starts.

``--workers N`` serves from N processes (:mod:`gateway.worker_app`); ``--mongo URL`` gives
them (and other replicas) a database to share the supergraph version through.
"""

import argparse
import asyncio
from pathlib import Path

import uvicorn
import uvloop
from pydantic import ValidationError

from auth.jwks import JwksUnavailable
from auth.tokens import AUDIENCE
from auth.verify import TokenVerifier
from gateway.cli._console import CliError, console_err
from gateway.cli.serve import check_port_free
from gateway.collector import tune_for_serving
from gateway.config import Settings
from gateway.context_key import FileSigningKeys, InvalidSigningKey, load_signing_key
from gateway.federation import Supergraph, SupergraphError
from gateway.limits import OperationLimits
from gateway.logs import log_config
from gateway.observability import ObservabilitySettings
from gateway.observability.tracing import TracingConfigError, provider_from_environment
from gateway.standalone import JWKS_PATH, jwks_verifier
from gateway.standalone_runtime import StandaloneOptions, build_standalone
from gateway.transports.resilience import ResilienceSettings
from gateway.worker_app import GATEWAY_FACTORY, run_workers
from schema.kernel.mongo import DatabaseUnavailable, Mongo

UNAUTHENTICATED_WARNING = ("warning: this gateway runs WITHOUT authentication: every caller is "
                           "trusted and @authenticated/@requiresScopes are not enforced "
                           "(start it with --jwks URL --issuer ISS to verify OAuth tokens)")
UNSHARED_WARNING = ("warning: --workers {n} without --mongo: each worker keeps its own rate "
                    "and concurrency limits and persisted queries (a limit of L per minute "
                    "admits up to {n} times L) and watches the supergraph file itself; pass "
                    "--mongo URL to share the supergraph version")


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
    parser.add_argument("--no-dedup", dest="dedup", action="store_false",
                        help="send every subgraph query, even one identical to a query in "
                             "flight (default: identical in-flight queries of the same caller "
                             "share one subgraph call; mutations never do)")
    parser.add_argument("--hot-reload", action="store_true",
                        help="watch the supergraph file and switch to each valid new version "
                             "(with --mongo: publish it, and every process switches)")
    parser.add_argument("--max-body-bytes", type=int,
                        help="largest accepted request (default: $LOOPGATE_LIMITS body_bytes, "
                             "4000000)")
    parser.add_argument("--workers", type=int, default=1,
                        help="serve from N processes (default 1); with N > 1 pass --mongo "
                             "so they share the supergraph version")
    parser.add_argument("--mongo", metavar="URL",
                        help="MongoDB the gateway processes (workers, replicas) share the "
                             "supergraph version through: the file is published at start if "
                             "it differs, and every process follows the current version "
                             "(`loopgate supergraph list|rollback`); default: none, each "
                             "process on its own")
    parser.add_argument("--mongo-db", metavar="NAME",
                        help="database name on --mongo (default $LOOPGATE_DB or 'loopgate')")
    parser.add_argument("--signing-key", type=Path, metavar="FILE",
                        help="RSA private key (PEM or JWK, e.g. from `loopgate context-key new "
                             "FILE`) to sign a Loopgate-Context token for each subgraph call, "
                             "issued as $LOOPGATE_ISSUER (default http://HOST:PORT); the public "
                             f"key is served at {JWKS_PATH}. Subgraphs then never see "
                             "callers' bearer tokens")
    oauth = parser.add_argument_group(
        "OAuth", "Verify callers' bearer tokens with the issuer's public keys and enforce "
                 "@authenticated/@requiresScopes, as `loopgate serve` does. Without "
                 "--signing-key subgraphs receive the caller's verified Authorization header, "
                 "so they can verify it with the same JWKS: put only subgraphs you trust with "
                 "callers' tokens behind it. Revoked tokens stay valid here until they expire "
                 "(at most 15 minutes). Without --jwks every caller is trusted.")
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


def check_operations_settings() -> None:
    """Refuse bad subgraph-resilience, observability or OpenTelemetry variables at start, with
    the variable's problem, rather than as a traceback from the first app built."""
    try:
        ResilienceSettings()
        ObservabilitySettings()
        provider_from_environment()
    except (ValidationError, TracingConfigError) as exc:
        raise CliError(f"invalid configuration: {exc}") from exc


def run(args: argparse.Namespace) -> int:
    """Check everything that can be checked once (supergraph, JWKS, key, database, port),
    then serve until interrupted, on uvloop, from one or ``--workers`` processes."""
    check_oauth_options(args)
    if args.workers < 1:
        args.usage_error("--workers must be at least 1")
    check_operations_settings()
    overrides = {key: value for key in ("host", "port", "cors_origins")
                 if (value := getattr(args, key, None)) is not None}
    settings = Settings(**overrides)
    supergraph = load_supergraph(args.supergraph)
    keys = _load_key(args.signing_key)
    options = StandaloneOptions(
        supergraph=args.supergraph.resolve(), host=settings.host, port=settings.port,
        cors_origins=settings.cors_origins, limits=limits_from(settings, args),
        subgraph_timeout=args.subgraph_timeout, hot_reload=args.hot_reload, dedup=args.dedup,
        jwks=args.jwks,
        issuer=args.issuer, audience=args.audience or AUDIENCE,
        signing_key=args.signing_key.resolve() if args.signing_key else None,
        context_issuer=settings.public_issuer, mongo=args.mongo,
        mongo_db=args.mongo_db or settings.db)
    check_port_free(settings.host, settings.port)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        verifier = runner.run(_check_dependencies(args, options))
    _announce(supergraph, options, verifier, keys, args.workers)
    if args.workers > 1:
        run_workers(GATEWAY_FACTORY, options.model_dump_json(), host=settings.host,
                    port=settings.port, workers=args.workers, log_level="WARNING")
        return 0
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_serve(options))
    return 0


def _load_key(path: Path | None) -> FileSigningKeys | None:
    if path is None:
        return None
    try:
        return load_signing_key(path)
    except InvalidSigningKey as exc:
        raise CliError(f"--signing-key: {exc}") from exc


async def _check_dependencies(args: argparse.Namespace,
                              options: StandaloneOptions) -> TokenVerifier | None:
    """The JWKS answers with keys and the shared database is reachable, or a CliError."""
    verifier = await load_verifier(args)
    if options.mongo is not None:
        try:
            mongo = Mongo.open(options.mongo, options.mongo_db)
            try:
                await mongo.ping()
            finally:
                await mongo.close()
        except DatabaseUnavailable as exc:
            raise CliError(f"--mongo: {exc}") from exc
    return verifier


def _announce(supergraph: Supergraph, options: StandaloneOptions,
              verifier: TokenVerifier | None, keys: FileSigningKeys | None,
              workers: int) -> None:
    base = f"http://{options.host}:{options.port}"
    names = ", ".join(sorted(supergraph.subgraphs))
    processes = f", {workers} workers" if workers > 1 else ""
    console_err.print(f"Loopgate gateway on {base}/graphql (subgraphs: {names}{processes})",
                      highlight=False)
    if verifier is None:
        console_err.print(UNAUTHENTICATED_WARNING, style="bold yellow", highlight=False,
                          markup=False)
    else:
        console_err.print(f"OAuth: tokens of {verifier.issuer} for audience {verifier.audience}, "
                          f"verified with the keys at {options.jwks}", highlight=False,
                          markup=False)
    if keys is not None:
        console_err.print(f"subgraphs receive Loopgate-Context tokens issued as "
                          f"{options.context_issuer}, signed with key {keys.key.kid} (public "
                          f"key at {base}{JWKS_PATH})", highlight=False, markup=False)
    elif verifier is not None:
        console_err.print("subgraphs receive the caller's verified Authorization header",
                          highlight=False, markup=False)
    if options.mongo is not None:
        console_err.print(f"sharing the supergraph version through database "
                          f"{options.mongo_db}", highlight=False, markup=False)
    elif workers > 1:
        console_err.print(UNSHARED_WARNING.format(n=workers), style="bold yellow",
                          highlight=False, markup=False)


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


async def _serve(options: StandaloneOptions) -> None:
    tune_for_serving()
    access_log = ObservabilitySettings().access_log
    config = uvicorn.Config(build_standalone(options), host=options.host, port=options.port,
                            log_level="info" if access_log else "warning",
                            access_log=access_log, lifespan="on",
                            log_config=log_config("WARNING"))
    await uvicorn.Server(config).serve()
