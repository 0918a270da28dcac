"""Great-circle distance and the H3 geo buckets that find candidate stores (DESIGN.md §8).

Each store is listed in one bucket document per resolution in :data:`RESOLUTIONS`, keyed
``h3:<res>:<cell>``, as an entry ``{i: storeId, a: lat, o: lng}`` of its ``s`` array (an
array, not a map keyed by id: FerretDB v1 builds documents in time quadratic in their key
count, which a coarse bucket of 50,000 stores turns into minutes). A search picks the finest
resolution whose grid disk covering the radius stays small, point-reads those buckets, and
keeps the candidates whose exact distance (rounded to whole metres) is within the radius.

Most cells of a search disk are empty, and reading a bucket that is not there still costs a
round trip (on a stock FerretDB v1, without gateway/embedded/id_index.py, it even scans the
whole collection). So a small directory collection, one document per non-empty
resolution-5 cell (``h3dir:<cell>``, lists ``c5``…``c9`` of its non-empty cells), says which
buckets exist: a search reads one or two directory documents and then only the buckets that
exist. Buckets are written before the directory lists them.

Covering rule: two cells ``k`` grid steps apart have centres at least ``1.5·k·e`` apart
(``e`` the edge length), and a point lies within ``e`` of its cell's centre, so any point
within ``r`` of the query lies in a cell at most ``(r + 2e) / (1.5e)`` steps away. ``e`` is
the shortest edge around the query cell, shrunk by 10 % for the distortion of nearby cells.
"""

import asyncio
import math
from collections.abc import Iterable

import h3
from pymongo.asynchronous.database import AsyncDatabase

EARTH_RADIUS_M = 6_371_008.8
RESOLUTIONS: tuple[int, ...] = (5, 6, 7, 8, 9)
MAX_RING = 6
BUCKETS = "store_geo"
DIRECTORY = "store_geo_dir"
DIRECTORY_RES = 5
_EDGE_SAFETY = 0.9


def distance_meters(lat1: float, lng1: float, lat2: float, lng2: float) -> int:
    """Great-circle (haversine) distance in whole metres, rounded half up."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    exact = 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
    return math.floor(exact + 0.5)


def bucket_collection(bucket: str) -> str:
    """Buckets live in one collection per resolution (``store_geo_<res>``): FerretDB's point
    reads slow down a hundredfold in a collection that also holds the few huge coarse
    buckets, while a collection of only fine, small buckets keeps them at about 1 ms."""
    return f"{BUCKETS}_{bucket.split(':')[1]}"


def bucket_id(resolution: int, cell: str) -> str:
    return f"h3:{resolution}:{cell}"


def cells_of(lat: float, lng: float) -> dict[str, str]:
    """The store's cell at every bucket resolution, as stored on the store (``h3`` field)."""
    return {str(res): h3.latlng_to_cell(lat, lng, res) for res in RESOLUTIONS}


def _ring_for(lat: float, lng: float, resolution: int, radius: int) -> tuple[str, int]:
    cell = h3.latlng_to_cell(lat, lng, resolution)
    edge = min(h3.edge_length(e, "m") for e in h3.origin_to_directed_edges(cell)) * _EDGE_SAFETY
    return cell, math.floor((radius + 2 * edge) / (1.5 * edge))


def covering_cells(lat: float, lng: float, radius: int) -> tuple[int, list[str]]:
    """The resolution and the cells that together hold every store within ``radius`` metres."""
    for resolution in reversed(RESOLUTIONS):
        cell, k = _ring_for(lat, lng, resolution, radius)
        if k <= MAX_RING or resolution == RESOLUTIONS[0]:
            return resolution, list(h3.grid_disk(cell, k))
    raise AssertionError("unreachable: the coarsest resolution always answers")


def directory_id(cell: str) -> str:
    """The directory document of the resolution-5 cell containing ``cell``."""
    parent = cell if h3.get_resolution(cell) == DIRECTORY_RES else h3.cell_to_parent(
        cell, DIRECTORY_RES)
    return f"h3dir:{parent}"


async def _read(db: AsyncDatabase, collection: str, ids: Iterable[str]) -> list[dict]:
    found = await asyncio.gather(*(db[collection].find_one({"_id": i}) for i in ids))
    return [doc for doc in found if doc is not None]


async def existing_buckets(db: AsyncDatabase, resolution: int, cells: list[str]) -> list[str]:
    """Bucket ids among ``cells`` that exist, by the directory (so no bucket read misses)."""
    directories = await _read(db, DIRECTORY, {directory_id(c) for c in cells})
    listed = {c for d in directories for c in d.get(f"c{resolution}", [])}
    return [bucket_id(resolution, c) for c in cells if c in listed]


async def stores_within(db: AsyncDatabase, lat: float, lng: float,
                        radius: int) -> list[tuple[int, str]]:
    """``(distance, storeId)`` of every store within ``radius`` metres, nearest first
    (ties by id, so the order is total and cursors are stable)."""
    hits: dict[str, int] = {}
    resolution, cells = covering_cells(lat, lng, radius)
    existing = await existing_buckets(db, resolution, cells)
    for bucket in await _read(db, f"{BUCKETS}_{resolution}", existing):
        for entry in bucket.get("s", []):
            if entry["i"] not in hits:
                distance = distance_meters(lat, lng, entry["a"], entry["o"])
                if distance <= radius:
                    hits[entry["i"]] = distance
    return sorted((d, s) for s, d in hits.items())


def bucket_documents(stores: Iterable[tuple[str, float, float]]) -> list[dict]:
    """Whole bucket documents for many stores at once (seeding and benchmarks)."""
    buckets: dict[str, list[dict[str, object]]] = {}
    for store_id, lat, lng in stores:
        for res, cell in cells_of(lat, lng).items():
            buckets.setdefault(bucket_id(int(res), cell), []).append(entry(store_id, lat, lng))
    return [{"_id": key, "s": members} for key, members in buckets.items()]


def directory_documents(stores: Iterable[tuple[str, float, float]]) -> list[dict]:
    """Whole directory documents for many stores at once (seeding and benchmarks)."""
    directories: dict[str, dict[str, set[str]]] = {}
    for _, lat, lng in stores:
        cells = cells_of(lat, lng)
        listing = directories.setdefault(directory_id(cells[str(DIRECTORY_RES)]), {})
        for res, cell in cells.items():
            listing.setdefault(f"c{res}", set()).add(cell)
    return [{"_id": key, **{name: sorted(c) for name, c in listing.items()}}
            for key, listing in directories.items()]


def entry(store_id: str, lat: float, lng: float) -> dict[str, object]:
    """A store's entry in a bucket."""
    return {"i": store_id, "a": lat, "o": lng}
