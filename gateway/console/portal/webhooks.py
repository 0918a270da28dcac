"""Webhook endpoints: list and create (the signing secret shown once), delete, and each
endpoint's delivery log with a Replay button per delivery (admins and developers)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import Route

from gateway.console.guard import Endpoint, Handler, console_page
from gateway.console.layout import csrf_field, esc, notice, page
from gateway.console.portal._results import data, first, problems
from gateway.console.visit import ConsoleSetup, Visit
from schema.kernel.events import TOPICS

PATH = "/console/webhooks"
BUILDERS = ("admin", "developer")
LOG_SIZE = 50
_LIST = """{ webhookEndpoints { id url topics enabled disabledReason createdAt } }"""
_LOG = """query($first: Int!, $after: String, $status: DeliveryStatus) { webhookEndpoints {
  id url topics enabled disabledReason
  deliveries(first: $first, after: $after, status: $status) {
    edges { node { id status attempts lastResponseCode lastLatencyMs nextAttemptAt createdAt
      event { id topic resourceType resourceId occurredAt } } }
    pageInfo { hasNextPage endCursor } } } }"""
STATUSES = ("PENDING", "SUCCEEDED", "FAILED", "DEAD")
_CREATE = """mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
  endpoint { id url } secret userErrors { code field message } } }"""
_DELETE = """mutation($id: ID!) { deleteWebhookEndpoint(endpointId: $id) {
  endpoint { id } userErrors { code field message } } }"""
_REPLAY = """mutation($input: ReplayDeliveriesInput!) { replayWebhookDeliveries(input: $input) {
  replayed userErrors { code field message } } }"""
_STATUS_BADGE = {"SUCCEEDED": "good", "DEAD": "bad", "FAILED": "bad"}


def _errors(texts: list[str]) -> str:
    return "".join(notice(text, error=True) for text in texts)


def _endpoint_row(visit: Visit, endpoint: dict[str, Any]) -> str:
    state = ('<span class="badge good">enabled</span>' if endpoint["enabled"] else
             f'<span class="badge bad">disabled</span> {esc(endpoint["disabledReason"] or "")}')
    topics = " ".join(f"<code>{esc(t)}</code>" for t in endpoint["topics"])
    return (f'<tr><td><a href="{PATH}/{esc(endpoint["id"])}">{esc(endpoint["url"])}</a></td>'
            f'<td>{topics}</td><td>{state}</td><td>'
            f'<form class="inline" method="post" action="{PATH}/{esc(endpoint["id"])}/delete" '
            f'data-confirm="Delete this endpoint and its delivery log?">'
            f'{csrf_field(visit.session)}<button type="submit" class="danger" aria-label='
            f'"Delete the endpoint {esc(endpoint["url"])}">Delete</button></form></td></tr>')


async def _render_list(visit: Visit, message: str = "", status: int = 200) -> Response:
    body = await visit.graphql(_LIST)
    rows = "".join(_endpoint_row(visit, e) for e in data(body, "webhookEndpoints", [])) or \
        '<tr><td colspan="4">No endpoints yet.</td></tr>'
    checks = "".join(f'<label class="check"><input type="checkbox" name="topics" '
                     f'value="{esc(t)}"> <code>{esc(t)}</code></label>' for t in sorted(TOPICS))
    html = f"""<h1>Webhooks</h1>{message}{_errors(problems(body))}
<div class="table-wrap"><table><thead><tr><th scope="col">Endpoint</th>
<th scope="col">Topics</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead>
<tbody>{rows}</tbody></table></div>
<h2 id="add">Add an endpoint</h2>
<form method="post" action="{PATH}" aria-labelledby="add">{csrf_field(visit.session)}
<label for="endpoint-url">URL (https)</label>
<input type="url" id="endpoint-url" name="url" required placeholder="https://example.com/hooks">
<fieldset><legend>Topics</legend>{checks}</fieldset>
<p><button type="submit">Add endpoint</button></p></form>"""
    return page("Webhooks", html, session=visit.session, current=PATH, status=status)


def _delivery_row(visit: Visit, endpoint_id: str, node: dict[str, Any]) -> str:
    event = node["event"]
    badge = _STATUS_BADGE.get(node["status"], "")
    code = node["lastResponseCode"] if node["lastResponseCode"] is not None else "—"
    return (f'<tr><td><code>{esc(event["topic"])}</code><br><span class="muted mono">'
            f'{esc(event["id"])}</span></td><td>{esc(event["resourceType"])} '
            f'<code>{esc(event["resourceId"])}</code></td>'
            f'<td><span class="badge {badge}">{esc(node["status"])}</span></td>'
            f'<td>{esc(node["attempts"])}</td><td>{esc(code)}</td>'
            f'<td>{esc(node["createdAt"])}</td><td>'
            f'<form class="inline" method="post" action="{PATH}/{esc(endpoint_id)}/replay">'
            f'{csrf_field(visit.session)}<input type="hidden" name="delivery" '
            f'value="{esc(node["id"])}"><button type="submit" class="secondary" aria-label='
            f'"Replay the delivery of event {esc(event["id"])}">Replay</button></form></td></tr>')


def _log_filters(endpoint_id: str, status: str | None) -> str:
    options = "".join(f'<option value="{s}"{" selected" if s == status else ""}>{s.lower()}'
                      f'</option>' for s in STATUSES)
    return (f'<form method="get" action="{PATH}/{esc(endpoint_id)}"><label for="status">'
            f'Status</label><select id="status" name="status"><option value="">any</option>'
            f'{options}</select> <button type="submit" class="secondary">Show</button></form>')


async def _render_log(visit: Visit, message: str = "", status: int = 200) -> Response:
    endpoint_id = visit.request.path_params["endpoint_id"]
    query = visit.request.query_params
    wanted = query.get("status") if query.get("status") in STATUSES else None
    body = await visit.graphql(_LOG, {"first": LOG_SIZE, "after": query.get("after") or None,
                                      "status": wanted})
    endpoint = next((e for e in data(body, "webhookEndpoints", []) if e["id"] == endpoint_id),
                    None)
    if endpoint is None:
        return page("Webhook endpoint", f"<h1>Webhook endpoint</h1>{_errors(problems(body))}"
                    f"{notice('No such endpoint of your partner.', error=True)}",
                    session=visit.session, current=PATH, status=404)
    deliveries = endpoint["deliveries"]
    rows = "".join(_delivery_row(visit, endpoint_id, edge["node"])
                   for edge in deliveries["edges"]) or \
        '<tr><td colspan="7">No deliveries here.</td></tr>'
    more = ""
    if deliveries["pageInfo"]["hasNextPage"]:
        after = urlencode({"after": deliveries["pageInfo"]["endCursor"], "status": wanted or ""})
        more = f'<p><a href="{PATH}/{esc(endpoint_id)}?{esc(after)}">Newer deliveries</a></p>'
    html = f"""<p><a href="{PATH}">← All endpoints</a></p>
<h1>Deliveries to <span class="mono">{esc(endpoint["url"])}</span></h1>{message}
{_log_filters(endpoint_id, wanted)}
<div class="table-wrap"><table><caption class="muted">Oldest first, {LOG_SIZE} a page.
A replay sends the event again (receivers de-duplicate by event id).</caption>
<thead><tr><th scope="col">Event</th><th scope="col">Resource</th><th scope="col">Status</th>
<th scope="col">Attempts</th><th scope="col">Last code</th><th scope="col">Created</th>
<th scope="col">Replay</th></tr></thead><tbody>{rows}</tbody></table></div>{more}"""
    return page("Deliveries", html, session=visit.session, current=PATH, status=status)


async def _list(visit: Visit) -> Response:
    return await _render_list(visit, await visit.take_flash())


async def _create(visit: Visit) -> Response:
    form = await visit.form()
    answer = await visit.graphql(_CREATE, {"input": {"url": first(form, "url"),
                                                     "topics": form.get("topics", [])}})
    errors = problems(answer, "createWebhookEndpoint")
    if errors:
        return await _render_list(visit, _errors(errors), 400)
    made = answer["data"]["createWebhookEndpoint"]
    return await visit.flash("Endpoint added. Its signing secret is shown only this once: "
                             "copy it now.", secret=made["secret"],
                             secret_label="Signing secret", to=PATH)


async def _delete(visit: Visit) -> Response:
    answer = await visit.graphql(_DELETE, {"id": visit.request.path_params["endpoint_id"]})
    errors = problems(answer, "deleteWebhookEndpoint")
    if errors:
        return await _render_list(visit, _errors(errors), 400)
    return await visit.flash("Endpoint deleted.", to=PATH)


async def _log(visit: Visit) -> Response:
    return await _render_log(visit, await visit.take_flash())


async def _replay(visit: Visit) -> Response:
    form = await visit.form()
    answer = await visit.graphql(_REPLAY, {"input": {
        "endpointId": visit.request.path_params["endpoint_id"],
        "deliveryId": first(form, "delivery")}})
    errors = problems(answer, "replayWebhookDeliveries")
    if errors:
        return await _render_log(visit, _errors(errors), 400)
    replayed = answer["data"]["replayWebhookDeliveries"]["replayed"]
    return await visit.flash(f"Replayed {replayed} deliver{'y' if replayed == 1 else 'ies'}.",
                             to=f"{PATH}/{visit.request.path_params['endpoint_id']}")


def webhook_routes(setup: ConsoleSetup) -> list[Route]:
    def guarded(handler: Handler) -> Endpoint:
        return console_page(setup, handler, roles=BUILDERS)

    return [
        Route(PATH, guarded(_list), methods=["GET"]),
        Route(PATH, guarded(_create), methods=["POST"]),
        Route(PATH + "/{endpoint_id}", guarded(_log), methods=["GET"]),
        Route(PATH + "/{endpoint_id}/delete", guarded(_delete), methods=["POST"]),
        Route(PATH + "/{endpoint_id}/replay", guarded(_replay), methods=["POST"]),
    ]
