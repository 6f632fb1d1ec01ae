"""Turning the outside world into arrays: inline lists and tables, with places for errors."""
