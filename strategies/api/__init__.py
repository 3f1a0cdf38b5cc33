"""The strategies API under /api/v1/: the catalogue, backtests, sweeps and comparisons."""
