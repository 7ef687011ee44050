"""The fleet spec: models, a position-keeping loader and cross-reference checks."""
