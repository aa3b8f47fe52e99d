"""One message through the server: dedup and transaction (inbox), dispatch order, router, flows."""
