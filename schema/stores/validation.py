"""Checks on a store as a partner submits it, turned into userErrors with field paths."""

from typing import Any

from schema.kernel.errors import UserError, UserErrorCode
from schema.stores.hours import validate_hours, zone_or_none

MAX_CODE = 64
MAX_DELIVERY_RADIUS = 50_000
SERVICES = frozenset(("PICKUP", "DELIVERY", "DINE_IN"))


def _invalid(message: str, *path: str) -> UserError:
    return UserError(UserErrorCode.INVALID, message, ("input", *path))


def location_errors(lat: float, lng: float, *path: str) -> list[UserError]:
    errors = []
    if not -90 <= lat <= 90:
        errors.append(_invalid("lat must be between -90 and 90", *path, "lat"))
    if not -180 <= lng <= 180:
        errors.append(_invalid("lng must be between -180 and 180", *path, "lng"))
    return errors


def store_errors(fields: dict[str, Any]) -> list[UserError]:
    """Every problem with a store document built from ``UpsertStoreInput``."""
    errors = []
    if not fields["code"].strip() or len(fields["code"]) > MAX_CODE:
        errors.append(_invalid(f"code must be 1 to {MAX_CODE} characters", "code"))
    if not fields["name"].strip():
        errors.append(_invalid("name must not be empty", "name"))
    errors += location_errors(fields["location"]["lat"], fields["location"]["lng"], "location")
    if zone_or_none(fields["timeZone"]) is None:
        errors.append(_invalid("timeZone must be an IANA zone such as Asia/Shanghai", "timeZone"))
    if not fields["services"]:
        errors.append(_invalid("a store offers at least one service", "services"))
    radius = fields.get("deliveryRadiusMeters")
    if radius is not None and not 0 < radius <= MAX_DELIVERY_RADIUS:
        errors.append(_invalid(f"deliveryRadiusMeters must be 1..{MAX_DELIVERY_RADIUS}",
                               "deliveryRadiusMeters"))
    for error in validate_hours(fields["openingHours"], fields["specialHours"]):
        errors.append(UserError(error.code, error.message, ("input", *(error.field or ()))))
    return errors
