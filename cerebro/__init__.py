"""Cerebro: the central brain of customer-journey orchestration.

This package holds what every other part shares: settings, logging and the command line.
"""

__version__ = "0.1.0"
