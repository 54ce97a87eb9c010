"""The built-in roles every shop has; ``core.security`` says what each may do."""

BUILTIN_ROLES = ("Admin", "Manager", "Cashier", "Accounts", "ReadOnly")
