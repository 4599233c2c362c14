"""Benchmarks: scripts that print figures beside an anchor measured in the same run.

Not tests: nothing here asserts. `python -m bench` runs them all (`make bench`);
each also runs alone, e.g. `python -m bench.provisioning`.
"""
