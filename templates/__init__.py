"""Templates shipped in the wheel as `plaintextcrm.templates`; a vault may override each."""
