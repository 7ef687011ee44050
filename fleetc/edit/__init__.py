"""Changes fleetc makes to the fleet's own files (``fleetc approve``).

People write these files, with comments that explain decisions; an edit by
fleetc must leave everything it was not asked to change byte for byte as it
was. So edits go through ruamel.yaml's round-trip mode, one document at a
time, and the rest of a file is never re-serialised.
"""
