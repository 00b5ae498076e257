"""Formatters: the same model rendered as text, JSON, iCalendar or a digest."""
