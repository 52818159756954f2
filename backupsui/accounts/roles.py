"""The roles are Django groups made by migrations 0002_roles and 0004_auditors. The settings
read this module (before Django is set up) to refuse a role that does not exist."""

SUPPORT = "Support"
OPERATORS = "Operators"
AUDITORS = "Auditors"

ROLES = (AUDITORS, OPERATORS, SUPPORT)
