"""The command line: the Typer app, one module per command, one place mapping errors."""
