"""The small kernel every app may import: errors, API plumbing, clock, formatting, caching.

It imports none of the project's apps (see DESIGN.md).
"""
