"""OAuth 2.0 authorization server, tokens and the scope checks the gateway applies."""
