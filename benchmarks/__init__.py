"""Benchmarks of the document service (run with ``python -m benchmarks`` or ``make bench``).

Each benchmark measures the service and its baseline in the same run, on the same machine, and reports
the ratio, so figures are comparable across machines. They are not tests: nothing here asserts on time.
"""
