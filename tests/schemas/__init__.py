"""Schema validation of emitted Kubernetes objects: the harness (validate.py) and its tests."""
