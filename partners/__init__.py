"""Partner registry, OAuth apps, webhooks and partner subgraphs."""
