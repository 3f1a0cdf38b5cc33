"""Pre-trade risk: per-account limits checked inside the placement transaction, trading states, the kill switch.

- models: RiskProfile (limits and trading state per account), RiskEvent (history), PlatformRisk
- checks: the checks themselves, each raising RiskViolation with its own code
- usage: what an account uses of each limit (open orders, rates, exposure, the day's P&L)
- services: kill switch, reactivation, the daily-loss sweep, profiles
"""
