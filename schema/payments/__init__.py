"""The payments subgraph: payments with balance and external portions, refunds, settlements."""
