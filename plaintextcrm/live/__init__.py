"""Long-running outputs: `crm watch` (files rewritten on change) and `crm serve` (HTTP feed)."""
