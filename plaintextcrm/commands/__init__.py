"""CLI commands that live outside cli.py, each loaded lazily by `cli.LAZY_COMMANDS`."""
