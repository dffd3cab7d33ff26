"""verdigris benchmarks (outside the default test run). Entry point: ``scripts/bench``."""
