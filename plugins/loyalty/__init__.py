"""Loyalty points: a program, an append-only points ledger with expiring lots, tiers tied to
group levels, redemption at the till, and the Loyalty History tab."""
