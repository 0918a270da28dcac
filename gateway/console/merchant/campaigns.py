"""Live campaign results: ``/console/campaigns`` (admins).

Each campaign shown gets its figures (sold, redeemed, revenue, redemption rate) and three small
SVG charts drawn by ``campaign-charts.js``: sold against redeemed with the redemption rate,
sales per channel, and redemptions per store. The script follows
``campaignStatsUpdated(campaignId)`` through ``/console/stream`` and redraws on every sale or
redemption, without a reload. Without script the same figures are tables.

The contract has no list of a merchant's campaigns: the page finds them through the merchant's
deals on sale (``deals(merchantId)`` → ``Deal.campaign``) and opens any other by its id
(``?campaign=cmp_…``). The contract's breakdowns are per channel for sales (``byChannel``) and
per store for redemptions (``topStores``, the ten busiest): a voucher is sold online before any
store sees it, so there is no per-store sales figure to show. At most :data:`MAX_LIVE`
campaigns are followed at once: each is one open stream, and a browser holds only six
connections to a host.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from gateway.console.guard import console_page
from gateway.console.layout import add_nav, esc, notice
from gateway.console.merchant.format import money, percent
from gateway.console.merchant.pages import merchant_page
from gateway.console.portal._results import data, problems
from gateway.console.visit import ConsoleSetup, Visit

PATH = "/console/campaigns"
MAX_LIVE = 4
MAX_DEALS = 100
STATS_FIELDS = """sold redeemed revenue { amount currency } redemptionRate updatedAt
  byChannel { channel sold revenue { amount currency } }
  topStores(first: 10) { store { id code name } redeemed }"""
CAMPAIGN = ("query($id: ID!) { campaign(id: $id) { id name startsAt endsAt stats { "
            + STATS_FIELDS + " } } }")
DEALS = """query($merchant: ID!, $first: Int) { deals(merchantId: $merchant, first: $first) {
  edges { node { campaign { id name } } } } }"""


async def _known(visit: Visit) -> tuple[dict[str, str], list[str]]:
    """The campaigns of the merchant's deals on sale (id → name), and any errors."""
    body = await visit.graphql(DEALS, {"merchant": visit.user.partner_id, "first": MAX_DEALS})
    found: dict[str, str] = {}
    for edge in data(body, "deals", {"edges": []})["edges"]:
        campaign = edge["node"].get("campaign")
        if campaign:
            found.setdefault(campaign["id"], campaign["name"])
    return found, problems(body)


def _table(caption: str, heads: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    if not rows:
        return '<p class="muted">None yet.</p>'
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in heads)
    body = "".join("<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return (f'<table><caption class="vh">{esc(caption)}</caption><thead><tr>{head}</tr>'
            f'</thead><tbody>{body}</tbody></table>')


def _figure(name: str, label: str, value: str) -> str:
    return f'<div><dt>{esc(label)}</dt><dd data-figure="{name}">{esc(value)}</dd></div>'


def _chart(name: str, caption: str, fallback: str) -> str:
    return (f'<figure><figcaption>{esc(caption)}</figcaption>'
            f'<div class="chart" data-chart="{name}">{fallback}</div></figure>')


def _section(campaign: dict[str, Any]) -> str:
    stats = campaign["stats"]
    ident = esc(campaign["id"])
    channels = [(c["channel"], str(c["sold"]), money(c["revenue"])) for c in stats["byChannel"]]
    stores = [(f'{s["store"]["name"]} ({s["store"]["code"]})', str(s["redeemed"]))
              for s in stats["topStores"]]
    totals = [("Sold", str(stats["sold"])), ("Redeemed", str(stats["redeemed"])),
              ("Redemption rate", percent(stats["redemptionRate"]))]
    return f"""<section class="campaign" id="campaign-{ident}" aria-labelledby="title-{ident}"
 data-campaign="{ident}" data-stats="{esc(json.dumps(stats))}">
<h2 id="title-{ident}">{esc(campaign["name"])}</h2>
<p class="muted">{esc(campaign["startsAt"][:10])} to {esc(campaign["endsAt"][:10])} ·
<code>{ident}</code></p>
<p class="live-state muted" role="status">Live updates need JavaScript; without it, reload to
see new figures.</p>
<dl class="figures">{_figure("sold", "Sold", str(stats["sold"]))}
{_figure("redeemed", "Redeemed", str(stats["redeemed"]))}
{_figure("revenue", "Revenue", money(stats["revenue"]))}
{_figure("rate", "Redemption rate", percent(stats["redemptionRate"]))}</dl>
<div class="charts">
{_chart("totals", "Sold and redeemed", _table("Totals", ("Figure", "Value"), totals))}
{_chart("channels", "Sales per channel", _table(
    "Sales per channel", ("Channel", "Sold", "Revenue"), channels))}
{_chart("stores", "Redemptions per store (top 10)", _table(
    "Redemptions per store", ("Store", "Redeemed"), stores))}
</div>
<p class="muted small">Updated <time data-figure="updated" datetime="{esc(stats["updatedAt"])}">
{esc(stats["updatedAt"])}</time>. Sales are counted per channel and redemptions per store: a
voucher is sold online, before any store sees it.</p>
</section>"""


def _chooser(known: dict[str, str], shown: list[str]) -> str:
    current = ' aria-current="true"'
    links = "".join(
        f'<li><a href="{PATH}?campaign={esc(cid)}"{current if cid in shown else ""}>'
        f'{esc(name)}</a></li>' for cid, name in known.items())
    listed = (f"<p>Campaigns of your deals on sale:</p><ul class=\"campaign-list\">{links}</ul>"
              if links else "<p>None of your deals on sale belongs to a campaign.</p>")
    return f"""<details class="chooser"{"" if shown else " open"}><summary>Choose campaigns
</summary>{listed}
<form method="get" action="{PATH}"><label for="campaign-id">Campaign id</label>
<input type="text" id="campaign-id" name="campaign" placeholder="cmp_…" required
 pattern="cmp_[A-Za-z0-9]+" autocomplete="off" spellcheck="false">
<p><button type="submit">Show</button></p></form></details>"""


async def _dashboard(visit: Visit) -> Response:
    known, errors = await _known(visit)
    asked = [c.strip() for c in visit.request.query_params.getlist("campaign") if c.strip()]
    wanted = list(dict.fromkeys(asked or known))[:MAX_LIVE]
    sections = []
    for campaign_id in wanted:
        body = await visit.graphql(CAMPAIGN, {"id": campaign_id})
        campaign = data(body, "campaign")
        if campaign is None:
            why = "; ".join(problems(body)) or "no such campaign"
            errors.append(f"Campaign {campaign_id} cannot be shown: {why}.")
            continue
        sections.append(_section(campaign))
    more = len(dict.fromkeys(asked or known)) > MAX_LIVE
    limit = notice(f"Live results follow at most {MAX_LIVE} campaigns at once; choose "
                   "others below.") if more else ""
    html = f"""<h1>Campaign results</h1>{"".join(notice(e, error=True) for e in errors)}
{limit}{_chooser(known, wanted)}
<div id="campaigns" data-fields="{esc(STATS_FIELDS)}">
{"".join(sections) or "<p>No campaign to show yet.</p>"}</div>"""
    return merchant_page(visit, "Campaign results", html, current=PATH,
                         scripts=("live-stream.js", "campaign-charts.js"))


def campaign_routes(setup: ConsoleSetup) -> list[Route]:
    add_nav(PATH, "Campaigns", ("admin",))
    return [Route(PATH, console_page(setup, _dashboard, roles=("admin",)), methods=["GET"])]
