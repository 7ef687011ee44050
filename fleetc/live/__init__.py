"""Live state as facts: what the management and customer clusters report.

Two sources (a snapshot directory, the Kubernetes API) produce the same
facts; anything unreadable becomes an explicit unknown, never a guess.
"""
