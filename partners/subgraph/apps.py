"""A partner's apps through GraphQL: ``apps`` and ``createApp``/``rotateAppSecret``/``revokeApp``.

Who may: a token holding ``apps:manage`` (its own partner's apps) or ``platform:admin``
(declared with ``@requiresScopes`` for the gateway, checked again here since a subgraph may be
reached directly). An app bound to stores, a courier or a member's consent may not manage apps
even with the scope: it would mint apps wider than itself. The registry is the live database
(``context.registry``); the rules are :mod:`partners.apps`'s, usage is :mod:`partners.usage`'s.
"""

import datetime as dt

import strawberry

from auth.clients import ClientRegistry, OAuthClient
from partners import apps
from partners.subgraph.context import PartnersContext
from partners.usage import MAX_DAYS, usage_days
from schema.kernel.errors import ErrorCode, bad_user_input, graphql_error
from schema.kernel.graphql_types import UserError
from schema.kernel.principal import Principal

MANAGE_SCOPE = "apps:manage"
MANAGE = [[MANAGE_SCOPE], ["platform:admin"]]


def _manager(context: PartnersContext) -> Principal:
    """The caller, who must be allowed to manage apps (else a GraphQL error)."""
    principal = context.principal
    if principal is None:
        raise graphql_error("authentication required", ErrorCode.UNAUTHENTICATED)
    if not (principal.has_scope(MANAGE_SCOPE) or principal.is_admin):
        raise graphql_error(f"this operation needs the '{MANAGE_SCOPE}' scope",
                            ErrorCode.FORBIDDEN, scope=MANAGE_SCOPE)
    if principal.store_ids or principal.courier_id or principal.member_id:
        raise graphql_error("an app bound to stores, a courier or a member cannot manage apps",
                            ErrorCode.FORBIDDEN)
    principal.require_partner()
    return principal


@strawberry.type(description="Requests and errors of one app on one UTC day.")
class AppUsageDay:
    date: dt.date = strawberry.field(description="The UTC calendar day.")
    requests: int = strawberry.field(description="GraphQL requests the app's tokens made.")
    errors: int = strawberry.field(description="Of those, requests answered with errors.")


@strawberry.type(description="An OAuth app (client) of the caller's partner.")
class App:
    id: strawberry.ID = strawberry.field(description="The app's id, also its OAuth client id.")
    name: str = strawberry.field(description="Shown on the consent page.")
    client_id: str = strawberry.field(description="The OAuth client_id.")
    scopes: list[str] = strawberry.field(description="Scopes its tokens may carry.")
    grant_types: list[str] = strawberry.field(description="OAuth grants it may use.")
    redirect_uris: list[str] = strawberry.field(description="Exact redirect URIs allowed.")
    sandbox: bool = strawberry.field(description="Its tokens act in the sandbox.")
    revoked: bool = strawberry.field(
        description="Revoked for good: no new tokens, and its tokens stop working within "
                    "seconds.")
    created_at: dt.datetime = strawberry.field(description="When it was registered.")

    @strawberry.field(description=f"Requests and errors per UTC day, oldest first and today "
                                  f"last, for the last `days` days (1 to {MAX_DAYS}); each "
                                  "server adds its counts every 10 seconds.")
    async def usage(self, info: strawberry.Info, days: int | None = 7) -> list[AppUsageDay]:
        days = 7 if days is None else days
        if not 1 <= days <= MAX_DAYS:
            raise bad_user_input(f"days is 1 to {MAX_DAYS}", argument="days")
        context: PartnersContext = info.context
        return [AppUsageDay(date=day, requests=requests, errors=errors)
                for day, requests, errors in await usage_days(context.registry, str(self.id),
                                                              days)]

    @classmethod
    def of(cls, client: OAuthClient) -> "App":
        return cls(id=strawberry.ID(client.client_id), name=client.name,
                   client_id=client.client_id, scopes=list(client.scopes),
                   grant_types=list(client.grant_types),
                   redirect_uris=list(client.redirect_uris), sandbox=client.sandbox,
                   revoked=client.revoked, created_at=client.created_at)


@strawberry.input(description="A new app of the caller's partner.")
class CreateAppInput:
    name: str = strawberry.field(description="1 to 100 printable characters.")
    scopes: list[str] = strawberry.field(
        description="Among the scopes the partner may grant; never platform:admin.")
    grant_types: list[str] | None = strawberry.field(
        default=None, description="Default client_credentials.")
    redirect_uris: list[str] | None = strawberry.field(
        default=None, description="https://, or http:// on a loopback host; needed for "
                                  "authorization_code.")
    sandbox: bool | None = strawberry.field(
        default=False, description="Its tokens act in the sandbox (a sandbox token creates "
                                   "sandbox apps only).")


@strawberry.type(description="An app mutation's result.")
class AppPayload:
    app: App | None = strawberry.field(description="The app; null when userErrors say why.")
    client_secret: str | None = strawberry.field(
        description="The app's secret, shown once: on create and rotate.")
    user_errors: list[UserError] = strawberry.field(
        description="Business failures (INVALID, NOT_FOUND, FORBIDDEN); nothing changed.")

    @classmethod
    def of(cls, outcome: apps.AppOutcome) -> "AppPayload":
        return cls(app=App.of(outcome.app) if outcome.app else None,
                   client_secret=outcome.client_secret,
                   user_errors=[UserError.of(e) for e in outcome.errors])


@strawberry.type
class AppsQuery:
    @strawberry.federation.field(requires_scopes=MANAGE,
                                 description="The caller's partner's apps, live and sandbox.")
    async def apps(self, info: strawberry.Info) -> list[App]:
        context: PartnersContext = info.context
        principal = _manager(context)
        found = await ClientRegistry(context.registry).list_for_partner(
            principal.require_partner())
        return [App.of(client) for client in found]


@strawberry.type
class AppsMutation:
    @strawberry.federation.mutation(
        requires_scopes=MANAGE,
        description="Register an app of the caller's partner; its secret is shown once.")
    async def create_app(self, info: strawberry.Info, input: CreateAppInput) -> AppPayload:
        context: PartnersContext = info.context
        principal = _manager(context)
        return AppPayload.of(await apps.create_app(
            context.registry, principal, name=input.name, scopes=input.scopes,
            grant_types=input.grant_types, redirect_uris=input.redirect_uris,
            sandbox=bool(input.sandbox)))

    @strawberry.federation.mutation(
        requires_scopes=MANAGE,
        description="A new secret for one of the caller's apps, shown once; the previous "
                    "one keeps working for 24 hours.")
    async def rotate_app_secret(self, info: strawberry.Info,
                                app_id: strawberry.ID) -> AppPayload:
        context: PartnersContext = info.context
        return AppPayload.of(await apps.rotate_app_secret(context.registry, _manager(context),
                                                          app_id))

    @strawberry.federation.mutation(
        requires_scopes=MANAGE,
        description="Revoke one of the caller's apps for good: no new tokens, and the ones "
                    "it holds stop working within seconds.")
    async def revoke_app(self, info: strawberry.Info, app_id: strawberry.ID) -> AppPayload:
        context: PartnersContext = info.context
        return AppPayload.of(await apps.revoke_app(context.registry, _manager(context),
                                                   app_id))
