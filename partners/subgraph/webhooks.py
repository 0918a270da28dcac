"""The partner's webhook self-service (contract: [partners]; scope ``webhooks:manage``):
``webhookEndpoints``, and create, update, delete, rotate the secret of, and replay the
deliveries of an endpoint, over the delivery core in :mod:`partners.webhooks`.

Every call works on the caller's database (``context.db``): a sandbox app's endpoints,
deliveries and events live in the sandbox, whose own dispatcher delivers them, and a live
token never sees them (nor the reverse). Another partner's endpoint or delivery is NOT_FOUND,
exactly as one that does not exist, and an id that is not a well-formed id of its kind (an
operator such as ``{"$gt": ""}`` passed as a string, say) is INVALID before any query; either
way nothing changes. URLs pass :class:`partners.urls.NetworkPolicy` (operator-allowed
networks: ``LOOPGATE_ALLOW_NETWORKS``).
"""

import strawberry
from strawberry.federation.schema_directives import ListSize

from partners.subgraph.context import PartnersContext
from partners.subgraph.events import MANAGE
from partners.subgraph.webhook_types import (
    CreateWebhookEndpointInput,
    ReplayDeliveriesInput,
    ReplayPayload,
    UpdateWebhookEndpointInput,
    WebhookEndpoint,
    WebhookEndpointPayload,
)
from partners.urls import NetworkPolicy, UnsafeUrl
from partners.webhooks.deliveries import (
    DeliveryNotFound,
    get_delivery,
    parse_delivery_id,
    replay,
    replay_since,
)
from partners.webhooks.endpoints import (
    ENDPOINTS,
    MAX_ENDPOINTS_PER_PARTNER,
    BadEndpoint,
    EndpointNotFound,
    create_endpoint,
    delete_endpoint,
    get_endpoint,
    partner_endpoint_ids,
    rotate_secret,
    update_endpoint,
)
from schema.kernel.errors import UserError as KernelUserError
from schema.kernel.errors import UserErrorCode
from schema.kernel.graphql_types import UserError
from schema.kernel.ids import InvalidId, parse_id
from schema.kernel.reads import get_many
from schema.kernel.time import utcnow

SCOPES = [[MANAGE]]


def _error(code: UserErrorCode, message: str, *field: str) -> UserError:
    return UserError.of(KernelUserError(code, message, field or None))


def _not_found(endpoint_id: str, *field: str) -> UserError:
    return _error(UserErrorCode.NOT_FOUND, f"no webhook endpoint {endpoint_id}", *field)


def _endpoint_id(value: object, *field: str) -> str | UserError:
    """The endpoint id, or the INVALID error to return (before any query is made)."""
    try:
        return parse_id(value, "whk")
    except InvalidId as exc:
        return _error(UserErrorCode.INVALID, str(exc), *field)


def _refused(exc: BadEndpoint | UnsafeUrl, where: str) -> UserError:
    """An endpoint the library refused: at the URL, the topics or none in particular."""
    if isinstance(exc, UnsafeUrl):
        return _error(UserErrorCode.INVALID, str(exc), where, "url")
    if exc.field is not None:
        return _error(UserErrorCode.INVALID, str(exc), where, exc.field)
    return _error(UserErrorCode.CONFLICT, str(exc))


async def _own_endpoint(context: PartnersContext, partner_id: str,
                        endpoint_id: str) -> WebhookEndpoint | None:
    found = await get_endpoint(context.db, endpoint_id)
    if found is None or found["partnerId"] != partner_id:
        return None
    return WebhookEndpoint.from_document(found)


@strawberry.type
class WebhooksQuery:
    @strawberry.federation.field(
        requires_scopes=SCOPES,
        directives=[ListSize(assumed_size=MAX_ENDPOINTS_PER_PARTNER,
                             require_one_slicing_argument=False)],
        description="The caller's partner's webhook endpoints, oldest first (at most "
                    f"{MAX_ENDPOINTS_PER_PARTNER}); needs webhooks:manage.")
    async def webhook_endpoints(self, info: strawberry.Info) -> list[WebhookEndpoint]:
        context: PartnersContext = info.context
        partner_id = context.require(MANAGE).require_partner()
        ids = await partner_endpoint_ids(context.db, partner_id)
        return [WebhookEndpoint.from_document(doc)
                for doc in await get_many(context.db[ENDPOINTS], ids)
                if doc is not None and doc["partnerId"] == partner_id]


@strawberry.type
class WebhooksMutation:
    @strawberry.federation.mutation(
        requires_scopes=SCOPES,
        description="Register an endpoint for some topics; the payload's secret (which signs "
                    "every request: Loopgate-Signature) is shown only now. The URL must be "
                    "http(s) and resolve to public addresses only.")
    async def create_webhook_endpoint(self, info: strawberry.Info,
                                      input: CreateWebhookEndpointInput
                                      ) -> WebhookEndpointPayload:
        context: PartnersContext = info.context
        partner_id = context.require(MANAGE).require_partner()
        try:
            doc, secret = await create_endpoint(context.db, partner_id, input.url,
                                                input.topics, NetworkPolicy.from_env())
        except (BadEndpoint, UnsafeUrl) as exc:
            return WebhookEndpointPayload(endpoint=None, user_errors=[_refused(exc, "input")])
        return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_document(doc),
                                      secret=secret)

    @strawberry.federation.mutation(
        requires_scopes=SCOPES,
        description="Change an endpoint's URL (checked as at registration), topics, or "
                    "whether it is enabled (enabling clears disabledReason).")
    async def update_webhook_endpoint(self, info: strawberry.Info,
                                      input: UpdateWebhookEndpointInput
                                      ) -> WebhookEndpointPayload:
        context: PartnersContext = info.context
        partner_id = context.require(MANAGE).require_partner()
        endpoint_id = _endpoint_id(input.endpoint_id, "input", "endpointId")
        if isinstance(endpoint_id, UserError):
            return WebhookEndpointPayload(endpoint=None, user_errors=[endpoint_id])
        try:
            doc = await update_endpoint(context.db, partner_id, endpoint_id, url=input.url,
                                        topics=input.topics, enabled=input.enabled,
                                        policy=NetworkPolicy.from_env())
        except (BadEndpoint, UnsafeUrl) as exc:
            return WebhookEndpointPayload(endpoint=None, user_errors=[_refused(exc, "input")])
        except EndpointNotFound:
            return WebhookEndpointPayload(endpoint=None, user_errors=[
                _not_found(endpoint_id, "input", "endpointId")])
        return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_document(doc))

    @strawberry.federation.mutation(
        requires_scopes=SCOPES,
        description="Remove an endpoint: nothing more is sent to it (its waiting deliveries "
                    "go DEAD). The payload shows it as it was.")
    async def delete_webhook_endpoint(self, info: strawberry.Info,
                                      endpoint_id: strawberry.ID) -> WebhookEndpointPayload:
        context: PartnersContext = info.context
        partner_id = context.require(MANAGE).require_partner()
        parsed = _endpoint_id(endpoint_id, "endpointId")
        if isinstance(parsed, UserError):
            return WebhookEndpointPayload(endpoint=None, user_errors=[parsed])
        try:
            doc = await delete_endpoint(context.db, partner_id, parsed)
        except EndpointNotFound:
            return WebhookEndpointPayload(endpoint=None,
                                          user_errors=[_not_found(parsed, "endpointId")])
        return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_document(doc))

    @strawberry.federation.mutation(
        requires_scopes=SCOPES,
        description="A new signing secret, shown only now. For 24 hours every request "
                    "carries a signature by the new and by the old secret (two v1= values), "
                    "so the receiver switches over at its own pace; then only the new one.")
    async def rotate_webhook_secret(self, info: strawberry.Info,
                                    endpoint_id: strawberry.ID) -> WebhookEndpointPayload:
        context: PartnersContext = info.context
        partner_id = context.require(MANAGE).require_partner()
        parsed = _endpoint_id(endpoint_id, "endpointId")
        if isinstance(parsed, UserError):
            return WebhookEndpointPayload(endpoint=None, user_errors=[parsed])
        try:
            secret = await rotate_secret(context.db, parsed, partner_id=partner_id)
        except EndpointNotFound:
            return WebhookEndpointPayload(endpoint=None,
                                          user_errors=[_not_found(parsed, "endpointId")])
        return WebhookEndpointPayload(endpoint=await _own_endpoint(context, partner_id, parsed),
                                      secret=secret)

    @strawberry.federation.mutation(
        requires_scopes=SCOPES,
        description="Send one delivery again (deliveryId), or every delivery to the endpoint "
                    "made since a time (since): exactly one of the two. Whatever their status, "
                    "they are sent from now with a fresh retry window; receivers de-duplicate "
                    "by event id.")
    async def replay_webhook_deliveries(self, info: strawberry.Info,
                                        input: ReplayDeliveriesInput) -> ReplayPayload:
        context: PartnersContext = info.context
        partner_id = context.require(MANAGE).require_partner()
        endpoint_id = _endpoint_id(input.endpoint_id, "input", "endpointId")
        errors = [endpoint_id] if isinstance(endpoint_id, UserError) else []
        errors += _replay_errors(input)
        if errors or isinstance(endpoint_id, UserError):
            return ReplayPayload(replayed=0, user_errors=errors)
        if input.since is not None:
            try:
                count = await replay_since(context.db, endpoint_id, input.since, partner_id)
            except DeliveryNotFound:
                return ReplayPayload(replayed=0, user_errors=[
                    _not_found(endpoint_id, "input", "endpointId")])
            return ReplayPayload(replayed=count)
        return await _replay_one(context, partner_id, endpoint_id, str(input.delivery_id))


def _replay_errors(input: ReplayDeliveriesInput) -> list[UserError]:
    """What is wrong with the choice of deliveries, before anything is read."""
    if (input.delivery_id is None) == (input.since is None):
        return [_error(UserErrorCode.INVALID, "give exactly one of deliveryId and since",
                       "input")]
    if input.since is not None and input.since > utcnow():
        return [_error(UserErrorCode.INVALID, "since is in the future", "input", "since")]
    if input.delivery_id is not None:
        try:
            parse_delivery_id(input.delivery_id)
        except InvalidId as exc:
            return [_error(UserErrorCode.INVALID, str(exc), "input", "deliveryId")]
    return []


async def _replay_one(context: PartnersContext, partner_id: str, endpoint_id: str,
                      delivery_id: str) -> ReplayPayload:
    missing = ReplayPayload(replayed=0, user_errors=[_error(
        UserErrorCode.NOT_FOUND, f"no webhook delivery {delivery_id} to endpoint {endpoint_id}",
        "input", "deliveryId")])
    found = await get_delivery(context.db, delivery_id)
    if found is None or found["partnerId"] != partner_id or found["endpointId"] != endpoint_id:
        return missing
    try:
        await replay(context.db, delivery_id, partner_id)
    except DeliveryNotFound:
        return missing
    return ReplayPayload(replayed=1)

