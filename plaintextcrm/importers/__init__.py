"""Readers for other address books' exports, and the planner that merges them into the vault.

Each reader turns one export format into `ImportRecord`s (plain, frozen, format-free);
`merge.plan_import` decides what each record means for the vault, and `merge.apply_plan`
writes it through the one safe writer. Keeping the readers pure makes them testable on
the fixture files without a vault.
"""
