"""``live-stream.js``, the merchant pages' subscription client, in Chromium against a scripted
``fetch``: it reads graphql-sse events from a streamed body, resubscribes ``after:`` the last
event id when the stream ends UNAUTHENTICATED (an expired token: the console refreshes it on
the next request) or drops, and says why it stops when the session is gone or it is refused."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page

from gateway.console.assets import assets

HARNESS = """
<!doctype html><html lang="en"><head><meta name="csrf-token" content="tok"></head><body>
<script>
window.calls = [];
window.seen = [];
window.opens = [];
window.states = [];
window.script = [];   // per call: [status, [sse chunks], keepOpen]
function streamOf(chunks, keepOpen) {
  return new ReadableStream({start: function (controller) {
    var encoder = new TextEncoder();
    chunks.forEach(function (c) { controller.enqueue(encoder.encode(c)); });
    if (!keepOpen) { controller.close(); }
  }});
}
window.fetch = function (url, options) {
  window.calls.push({url: url, headers: options.headers, body: JSON.parse(options.body)});
  var step = window.script.shift() || [200, [], true];
  if (step[0] !== 200) {
    return Promise.resolve(new Response(JSON.stringify(step[1]), {status: step[0],
      headers: {"Content-Type": "application/json", "Retry-After": "1"}}));
  }
  return Promise.resolve(new Response(streamOf(step[1], step[2]), {status: 200,
    headers: {"Content-Type": "text/event-stream"}}));
};
</script></body></html>"""

FOLLOW = """() => window.LoopgateLive.follow("subscription($after: ID) { x(after: $after) }",
  {store: "sto_1"}, {
    next: function (data, id) { window.seen.push([data, id]); },
    open: function (resumed) { window.opens.push(resumed); },
    state: function (text, live) { window.states.push([text, live]); }})"""


def event(data: str, ident: str | None = None, kind: str = "next") -> str:
    return f"event: {kind}\n" + (f"id: {ident}\n" if ident else "") + f"data: {data}\n\n"


async def harness(page: Page, script: list[Any]) -> None:
    await page.set_content(HARNESS)
    await page.evaluate("s => { window.script = s; }", script)
    await page.add_script_tag(content=assets()["live-stream.js"].body.decode())
    await page.evaluate(FOLLOW)


async def test_an_expired_token_resubscribes_after_the_last_event(page: Page) -> None:
    expired = '{"errors":[{"message":"token expired","extensions":{"code":"UNAUTHENTICATED"}}]}'
    half = event('{"data":{"x":1},"extensions":{"eventId":"evt_1"}}', "evt_1")
    await harness(page, [
        [200, [half[:20], half[20:], event(expired)], True],   # an event split across chunks
        [200, [event('{"data":{"x":2}}', "evt_2")], False],   # then the stream just ends
        [200, [], True]])
    await page.wait_for_function("window.calls.length >= 3", timeout=10_000)
    calls = await page.evaluate("window.calls")
    assert [c["url"] for c in calls] == ["/console/stream"] * 3
    assert calls[0]["headers"]["X-CSRF-Token"] == "tok"
    assert calls[0]["headers"]["Accept"] == "text/event-stream"
    assert [c["body"]["variables"] for c in calls] == [
        {"store": "sto_1", "after": None}, {"store": "sto_1", "after": "evt_1"},
        {"store": "sto_1", "after": "evt_2"}]
    assert await page.evaluate("window.seen") == [[{"x": 1}, "evt_1"], [{"x": 2}, "evt_2"]]
    assert await page.evaluate("window.opens") == [False, True, True]


async def test_a_refusal_or_an_ended_session_is_said_and_not_retried(page: Page) -> None:
    await harness(page, [[401, {"errors": [{"message": "session over", "extensions": {
        "code": "UNAUTHENTICATED"}}]}]])
    await page.wait_for_function("window.states.length >= 1", timeout=10_000)
    await page.wait_for_timeout(1500)
    assert await page.evaluate("window.calls.length") == 1
    [[text, live]] = await page.evaluate("window.states")
    assert "session has ended" in text and live is False

    await harness(page, [[403, {"errors": [{"message": "not one of your stores",
                                            "extensions": {"code": "FORBIDDEN"}}]}]])
    await page.wait_for_function("window.states.length >= 1", timeout=10_000)
    [[text, _]] = await page.evaluate("window.states")
    assert text == "Live updates refused: not one of your stores"


async def test_too_many_subscriptions_wait_and_retry(page: Page) -> None:
    await harness(page, [[429, {"errors": [{"message": "too many", "extensions": {
        "code": "RATE_LIMITED"}}]}], [200, [], True]])
    await page.wait_for_function("window.calls.length >= 2", timeout=10_000)
    states = await page.evaluate("window.states")
    assert "retrying in 1 s" in states[0][0]
    assert states[-1] == ["Live: changes appear as they happen.", True]
