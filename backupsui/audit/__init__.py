"""The audit trail: who did what to which server, when, from where, and how it ended."""
