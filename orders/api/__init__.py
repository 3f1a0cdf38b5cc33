"""Orders, trades, positions and funds under /api/v1/: one APIView per operation, scoped to the caller."""
