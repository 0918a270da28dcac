"""Manifest files the safelist tests push: Apollo's JSON format and a plain .graphql file."""

import json

from gateway.persisted.extension import sha256_hex

REVIEWS_BODY = "query Reviews { reviewCount }"
USER_BODY = "query User($id: ID!) { user(id: $id) { ...Who } }\nfragment Who on User { username }"

APOLLO_MANIFEST = json.dumps({
    "format": "apollo-persisted-query-manifest", "version": 1,
    "operations": [
        {"id": sha256_hex(REVIEWS_BODY), "body": REVIEWS_BODY, "name": "Reviews",
         "type": "query"},
        {"id": "erp-user-v1", "body": USER_BODY, "name": "User", "type": "query"},
    ]})

GRAPHQL_FILE = """
# what the ERP connector runs
query Top($first: Int!) {
  topProducts(first: $first) { ...Item }
}

fragment Item on Product { upc name }

mutation Touch($upc: String!) { touch(upc: $upc) { name } }
"""
