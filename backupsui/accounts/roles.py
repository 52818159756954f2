"""The roles are Django groups made by migration 0002_roles; these are their names."""

SUPPORT = "Support"
OPERATORS = "Operators"
