"""Borrowing assistive devices from the county's sharing stations (共享辅具驿站), issue 18."""
