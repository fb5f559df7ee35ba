import os
import sys

# Let `from helpers import ...` work however pytest is started.
sys.path.insert(0, os.path.dirname(__file__))

import pytest

# Tests that need the built book or a browser. `make test` runs them; `make test-core` (the
# second Python in .ci/run) leaves them out: the book and its pages do not depend on the Python
# version, while the package, the notebooks' stored outputs and the unit tests do.
BOOK_TEST_PREFIXES = ("test_book", "test_playground", "test_browser", "test_live", "test_teacher_browser")


def pytest_configure(config):
    config.addinivalue_line("markers", "book: needs the built book or a browser (left out by make test-core)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name.startswith(BOOK_TEST_PREFIXES):
            item.add_marker(pytest.mark.book)
