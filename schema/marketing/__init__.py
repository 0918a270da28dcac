"""Marketing: campaigns, deals (vouchers for sale), vouchers and live campaign results."""
