"""Webhook delivery that loses nothing (issue #16 point 3, DESIGN.md §7).

- :mod:`.endpoints`: a partner's endpoints, their topics and signing secrets (rotation).
- :mod:`.signing`: the ``Loopgate-Signature`` header, made and verified.
- :mod:`.deliveries`: one delivery per (event, endpoint), its attempts, retries and replay.
- :mod:`.due`: which deliveries are due, found by ``_id`` point reads (buckets per due minute).
- :mod:`.log`: the delivery log of an endpoint, read by cursor.
- :mod:`.fanout`: new events (the feed of all events) become deliveries.
- :mod:`.dispatcher`: the loop that sends them (``loopgate worker``, ``loopgate serve``).

Delivery is at least once: a receiver de-duplicates by the event id (``Loopgate-Event-Id``).
Per-endpoint ordering is not promised: retries, replays and several workers deliver out of
order; ``Loopgate-Resource-Sequence`` orders one resource's events.
"""
