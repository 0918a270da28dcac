// Live console pages: GraphQL subscriptions through /console/stream (graphql-sse, one
// subscription per request, read with fetch: an EventSource can neither POST nor send the
// CSRF header) and queries or mutations through /console/graphql, as the signed-in person.
//
// LoopgateLive.follow(query, variables, handlers) keeps a subscription going: the query takes
// an `$after: ID` variable, and every new request (after a dropped connection, or when the
// stream ends UNAUTHENTICATED because the token expired; the console refreshes it) resumes
// after the last event id seen, so nothing still retained is missed. handlers:
//   next(data, eventId)  each event's data;
//   open(resumed)        the stream started (resumed: after an event id; when false, the page
//                        should read the current state again, changes before it are not sent);
//   state(text, live)    a sentence for the page's live-state line.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var MAX_DELAY_MS = 30000;

  function graphql(query, variables) {
    return fetch("/console/graphql", {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRF-Token": csrf},
      body: JSON.stringify({query: query, variables: variables || {}})
    }).then(function (response) {
      return response.json().catch(function () {
        return {errors: [{message: "Loopgate answered " + response.status}]};
      });
    });
  }

  function firstError(body) {
    var error = (body && body.errors && body.errors[0]) || {};
    return {message: error.message || "refused", code: (error.extensions || {}).code};
  }

  function parse(block) {
    var event = {type: "message", data: [], id: null};
    block.split("\n").forEach(function (line) {
      if (!line || line.charAt(0) === ":") { return; }
      var colon = line.indexOf(":");
      var field = colon < 0 ? line : line.slice(0, colon);
      var value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") { event.type = value; }
      else if (field === "data") { event.data.push(value); }
      else if (field === "id") { event.id = value; }
    });
    event.data = event.data.join("\n");
    return event;
  }

  function follow(query, variables, handlers) {
    var after = null;
    var delay = 1000;
    var stopped = false;

    function say(text, live) { if (handlers.state) { handlers.state(text, live); } }

    function again(ms) {
      if (stopped) { return; }
      window.setTimeout(start, ms === undefined ? delay : ms);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }

    function refused(response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        var error = firstError(body);
        if (response.status === 401) {
          stopped = true;
          say("Your console session has ended: reload the page to sign in again.", false);
        } else if (error.code === "RATE_LIMITED" || response.status >= 500) {
          var wait = Number(response.headers.get("Retry-After")) || delay / 1000;
          say("Live updates paused (" + error.message + "); retrying in " + wait + " s.", false);
          again(wait * 1000);
        } else {
          stopped = true;
          say("Live updates refused: " + error.message, false);
        }
      });
    }

    // One event; returns "again" to subscribe anew, "stop" to give up, or null to go on.
    function handle(event) {
      if (event.type === "complete") { return "again"; }
      if (event.type !== "next" || !event.data) { return null; }
      var payload = JSON.parse(event.data);
      if (payload.errors && payload.errors.length) {
        var error = firstError(payload);
        if (error.code === "UNAUTHENTICATED") { return "again"; }
        say("Live updates stopped: " + error.message, false);
        return "stop";
      }
      after = event.id || (payload.extensions || {}).eventId || after;
      handlers.next(payload.data, after);
      return null;
    }

    function read(reader) {
      var decoder = new TextDecoder();
      var buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) { return "again"; }
          buffer += decoder.decode(chunk.value, {stream: true}).replace(/\r\n/g, "\n");
          var blocks = buffer.split("\n\n");
          buffer = blocks.pop();
          for (var i = 0; i < blocks.length; i += 1) {
            var outcome = handle(parse(blocks[i]));
            if (outcome) { reader.cancel(); return outcome; }
          }
          return pump();
        });
      }
      return pump();
    }

    function start() {
      var sent = Object.assign({}, variables, {after: after});
      fetch("/console/stream", {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept": "text/event-stream",
                  "X-CSRF-Token": csrf},
        body: JSON.stringify({query: query, variables: sent})
      }).then(function (response) {
        if (!response.ok) { return refused(response); }
        delay = 1000;
        say("Live: changes appear as they happen.", true);
        if (handlers.open) { handlers.open(after !== null); }
        return read(response.body.getReader()).then(function (outcome) {
          if (outcome === "again") {
            say("Reconnecting…", false);
            again(500);
          } else {
            stopped = true;
          }
        });
      }).catch(function () {
        say("Connection lost; reconnecting…", false);
        again();
      });
    }

    start();
  }

  window.LoopgateLive = {follow: follow, graphql: graphql, firstError: firstError};
})();
