"""The roles are Django groups made by migrations 0002_roles and 0004_auditors."""

SUPPORT = "Support"
OPERATORS = "Operators"
AUDITORS = "Auditors"
