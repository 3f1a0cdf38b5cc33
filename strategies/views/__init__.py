"""Dashboard pages for backtests, sweeps and comparisons: the same services and selectors as the API."""
