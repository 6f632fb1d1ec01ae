"""losscli: a command-line loss calculator, loss catalog and exercise checker."""

__version__ = "0.1.0"
