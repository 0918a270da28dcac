"""Partner subgraphs in the all-in-one server (``loopgate serve``), DESIGN.md §2 and issue 16.

A serve process holds two graphs: the live one (platform subgraphs plus the partner
subgraphs registered by live apps, versions in the live database) and the sandbox one
(platform plus sandbox apps' subgraphs, versions in the sandbox database); a caller's token
picks one (:mod:`~gateway.partner_graph.graphs`). Platform subgraphs run in-process; partner
subgraphs are called over HTTP through the partner-URL guard with a ``Loopgate-Context``
token of their own (:mod:`~gateway.partner_graph.routing`). Their fields need a token by
default (:mod:`~gateway.partner_graph.token_required`). At start each graph is composed from
its database's registrations and published (:mod:`~gateway.partner_graph.startup`).
"""
