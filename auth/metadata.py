"""Authorization server metadata (RFC 8414), at ``/.well-known/oauth-authorization-server``."""

from typing import Any

from auth.scopes import SCOPES

AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_PATH = "/oauth/token"
REVOKE_PATH = "/oauth/revoke"
INTROSPECT_PATH = "/oauth/introspect"
JWKS_PATH = "/.well-known/jwks.json"
METADATA_PATH = "/.well-known/oauth-authorization-server"
LOGIN_PATH = "/oauth/login"
CONSOLE_LOGIN_PATH = "/oauth/console-login"
CONSENTS_PATH = "/oauth/consents"
SET_PASSWORD_PATH = "/oauth/set-password"


def server_metadata(issuer: str) -> dict[str, Any]:
    base = issuer.rstrip("/")
    confidential = ["client_secret_basic", "client_secret_post"]
    return {
        "issuer": base,
        "authorization_endpoint": base + AUTHORIZE_PATH,
        "token_endpoint": base + TOKEN_PATH,
        "revocation_endpoint": base + REVOKE_PATH,
        "introspection_endpoint": base + INTROSPECT_PATH,
        "jwks_uri": base + JWKS_PATH,
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": [*confidential, "none"],
        "revocation_endpoint_auth_methods_supported": [*confidential, "none"],
        "introspection_endpoint_auth_methods_supported": confidential,
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": False,
    }
