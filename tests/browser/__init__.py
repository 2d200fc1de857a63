"""Browser tests (a package, so that its conftest does not shadow tests/integration/conftest.py
when both folders run in one pytest)."""
