"""What every subgraph shares: ids, money, time, errors, pagination and MongoDB access."""
