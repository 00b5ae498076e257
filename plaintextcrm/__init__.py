"""plaintextcrm: a personal CRM whose database is a folder of Markdown notes."""

__version__ = "0.1.0"
