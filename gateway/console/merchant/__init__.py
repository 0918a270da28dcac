"""The merchant side of the console (issue #17): live campaign results for admins, a store's
live order board for its staff and admins, and the voucher redemption screen for store staff.

Pages are server-rendered; their small scripts (``static/``) follow subscriptions through
``/console/stream`` and call ``/console/graphql``, both as the signed-in person.
"""
