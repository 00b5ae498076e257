"""plaintextcrm built-in templates.

Shipped in the wheel as `plaintextcrm.templates`; a vault may override each.
"""
