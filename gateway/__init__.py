"""The Loopgate gateway: federation planner and executor, HTTP app, CLI."""
