import os
import sys

# Let `from helpers import ...` work however pytest is started.
sys.path.insert(0, os.path.dirname(__file__))
