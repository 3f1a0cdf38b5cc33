"""Angel One SmartAPI: client (client.py), adapter (adapter.py), live feed (feed.py), order stream."""
