"""Strategies trading for real (paper or live): the context that sends orders through the order
pipeline, each run's virtual positions, and the runner that feeds them closed bars."""
