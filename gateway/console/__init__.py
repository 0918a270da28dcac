"""The web console at ``/console`` (issue #17): a partner's people sign in through Loopgate's own
OAuth (the console is a first-party public client, :mod:`auth.console_client`) and work through
``/graphql`` with their token, which the server keeps (:mod:`gateway.console.sessions`).

Pieces: :mod:`~gateway.console.routes` (what to mount), :mod:`~gateway.console.signin` and
:mod:`~gateway.console.oauth` (sign-in), :mod:`~gateway.console.guard` (session, role, CSRF and
store checks around every page), :mod:`~gateway.console.visit` (a handler's view of the request:
the person, their GraphQL), :mod:`~gateway.console.layout` (the page frame),
:mod:`~gateway.console.portal` (the developer portal), ``merchant/`` (the merchant dashboard).
"""
