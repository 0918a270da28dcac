"""Delivery estimates (DESIGN.md §8 platform defaults): ETA = distance x road factor 1.3 at
15 km/h plus 5 minutes handling; fee = ¥3 plus ¥1 per started kilometre beyond the first."""

import math
from dataclasses import dataclass

from schema.kernel.money import Money


@dataclass(frozen=True, slots=True)
class DeliveryRates:
    road_factor: float = 1.3
    speed_kmh: float = 15.0
    handling_minutes: int = 5
    base_fee: int = 300
    per_km_fee: int = 100
    currency: str = "CNY"

    def travel_minutes(self, distance_m: int) -> int:
        """Riding time over ``distance_m`` of great-circle distance, rounded up."""
        return math.ceil(distance_m * self.road_factor / (self.speed_kmh * 1000 / 60))

    def eta_minutes(self, distance_m: int) -> int:
        return self.travel_minutes(distance_m) + self.handling_minutes

    def fee(self, distance_m: int) -> Money:
        extra_km = max(0, math.ceil(distance_m / 1000) - 1)
        return Money(self.base_fee + self.per_km_fee * extra_km, self.currency)


DEFAULT_RATES = DeliveryRates()
