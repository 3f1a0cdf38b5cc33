"""Pre-trade risk: per-account limits, the checks run inside the placement transaction, trading states and the
kill switch's state. Orders call risk; risk never imports orders (DESIGN.md).

- models: RiskProfile (limits and trading state per account), RiskEvent (history), PlatformRisk
- checks: the checks themselves, each raising RiskViolation with its own code
- checking: running the checks for one order against the account's usage (which orders counts)
- profiles: profiles and trading-state changes; services: the kill switch's state, reactivation, limits
- overview: each limit beside what the account uses of it
"""
