"""What other domains may read from stores (DESIGN.md §3: reads through the owner's functions).

Also the argument checks every geo query shares, so maps and catalog refuse the same bad
input the same way (BAD_USER_INPUT, before anything is read).
"""

from schema.kernel.errors import bad_user_input
from schema.stores.geo import distance_meters, stores_within
from schema.stores.hours import is_open_at
from schema.stores.repository import get_store, get_stores, store_id_for_code

MAX_RADIUS = 50_000
VISIBLE_STATUSES = frozenset(("OPEN", "TEMPORARILY_CLOSED"))

__all__ = ["MAX_RADIUS", "VISIBLE_STATUSES", "check_point", "check_radius", "distance_meters",
           "get_store", "get_stores", "is_open_at", "store_id_for_code", "stores_within"]


def check_point(lat: float, lng: float, argument: str) -> tuple[float, float]:
    """A WGS84 point argument, or BAD_USER_INPUT."""
    if not -90 <= lat <= 90 or not -180 <= lng <= 180:
        raise bad_user_input(f"{argument} must have lat in -90..90 and lng in -180..180",
                             argument=argument)
    return lat, lng


def check_radius(radius: int | None, argument: str = "radiusMeters") -> int:
    """A search radius: 1 m to 50 km, or BAD_USER_INPUT."""
    if radius is None or not 0 < radius <= MAX_RADIUS:
        raise bad_user_input(f"{argument} must be between 1 and {MAX_RADIUS}", argument=argument)
    return radius
