"""Collection names and index declarations of the catalog domain."""

from schema.kernel.indexes import IndexSpec

PRODUCTS = "products"
INVENTORY = "inventory"
CHANGES = "inventory_changes"
FEEDS = "inventory_feeds"
LEASES = "inventory_leases"
STOCKED = "inventory_stocked"
CATALOGS = "catalogs"

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec.on(PRODUCTS, "partnerId", "sku", unique=True),
    IndexSpec.on(PRODUCTS, "partnerId", "category"),
    IndexSpec.on(INVENTORY, "storeId", "productId", unique=True),
    IndexSpec.on(INVENTORY, "partnerId", "seq"),
    IndexSpec.on(LEASES, "feed"),
)


def catalog_id(partner_id: str) -> str:
    """The partner's catalogue document (``maxLowStockThreshold``)."""
    return f"catalog:{partner_id}"


def stocked_id(store_id: str) -> str:
    """The document listing which products have a row at a store (``products`` array)."""
    return f"stocked:{store_id}"


def inventory_id(store_id: str, product_id: str) -> str:
    """The composite ``_id`` of one store's stock of one product (a point read)."""
    return f"inv:{store_id}:{product_id}"
